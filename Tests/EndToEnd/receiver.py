#!/usr/bin/env python3
"""A webhook receiver for the end-to-end tests: 127.0.0.1 only, answers 503 to the first
--fail requests, then 200; appends every request it answers 200 to --log as JSON lines
(path, headers, body); writes its port to --port-file."""
import argparse, http.server, json, signal, socketserver, threading

# A test runner may start us with SIGTERM blocked; we must die when asked.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, default=0)
p.add_argument("--port-file")
p.add_argument("--fail", type=int, default=0)
p.add_argument("--log", required=True)
args = p.parse_args()
lock = threading.Lock()
state = {"failed": 0}

class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            if state["failed"] < args.fail:
                state["failed"] += 1
                self.send_response(503)
                self.send_header("Retry-After", "1")
                self.end_headers()
                self.wfile.write(b"busy")
                return
            with open(args.log, "a") as f:
                f.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": body.decode("utf-8", "replace")}) + "\n")
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

srv = S(("127.0.0.1", args.port), H)
if args.port_file:
    with open(args.port_file, "w") as f:
        f.write(str(srv.server_address[1]))
srv.serve_forever()
