#!/usr/bin/env python3
"""Lab stand-in for Harbor core's token service (`/service/token`).

Standard library only.  Signs RS256 JWTs the way distribution v2.8's token
auth accepts them: header {"typ":"JWT","alg":"RS256","x5c":[<lab cert DER, b64>]},
claims iss/sub/aud/exp/nbf/iat/jti/access.  The RSA signature is computed here
(PKCS#1 v1.5 over SHA-256) from the key numbers `openssl rsa -text` prints, so
no Python crypto module is needed.

Writes Harbor core's text format on stdout (run.sh sends it to rsyslog with
tag `core`, or to core.log), e.g.
  2026-11-27T00:30:16Z [ERROR] [/server/middleware/security/basic_auth.go:72][client IP="127.0.0.1" user agent="..."]: failed to authenticate user:carol, error:Failed to authenticate user, due to error 'Invalid credentials'
and one JSON line per token decision to --decisions (ground truth).

Usage: tokensvc.py --port P --site hub-1 --key key.pem --cert cert.pem
                   --users users.json --decisions FILE
"""
import argparse
import base64
import fnmatch
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ISSUER = "harbor-token-issuer"
SERVICE = "harbor-registry"
EXPIRES = 1800
DIGEST_INFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")

_out_lock = threading.Lock()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def utc_now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def iso_ms(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def core_log(level: str, where: str, msg: str, fields: str = "") -> None:
    """One line in Harbor core's format (src/lib/log/textformatter.go)."""
    line = "%s [%s] [%s]%s: %s\n" % (utc_now_rfc3339(), level, where, fields, msg)
    with _out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


class RSAKey:
    def __init__(self, key_path: str):
        text = subprocess.run(["openssl", "rsa", "-in", key_path, "-noout", "-text"],
                              check=True, capture_output=True, text=True).stdout
        self.n = self._number(text, "modulus")
        self.d = self._number(text, "privateExponent")
        self.size = (self.n.bit_length() + 7) // 8

    @staticmethod
    def _number(text: str, name: str) -> int:
        m = re.search(r"^%s:\s*\n((?:\s+[0-9a-f:]+\n)+)" % name, text, re.M)
        if not m:
            raise SystemExit("cannot read %s from openssl output" % name)
        return int(re.sub(r"[\s:]", "", m.group(1)), 16)

    def sign(self, data: bytes) -> bytes:
        t = DIGEST_INFO_SHA256 + hashlib.sha256(data).digest()
        em = b"\x00\x01" + b"\xff" * (self.size - len(t) - 3) + b"\x00" + t
        s = pow(int.from_bytes(em, "big"), self.d, self.n)
        return s.to_bytes(self.size, "big")


class Policy:
    """users.json: {"users": {name: {"password": p, "grants": {glob: [actions]}}},
    "anonymous": {glob: [actions]}, "admins": [names]}"""

    def __init__(self, path: str):
        with open(path) as f:
            cfg = json.load(f)
        self.users = cfg["users"]
        self.anonymous = cfg.get("anonymous", {})
        self.admins = set(cfg.get("admins", []))

    def allowed(self, user, typ: str, name: str, actions):
        if typ == "registry":
            return ["*"] if (user in self.admins and "*" in actions) else []
        if typ != "repository":
            return []
        grants = self.users[user]["grants"] if user else self.anonymous
        ok = set()
        for pattern, acts in grants.items():
            if fnmatch.fnmatchcase(name, pattern):
                ok.update(acts)
        if "*" in ok:
            return list(actions)
        return [a for a in actions if a in ok]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lab-core"
    sys_version = ""

    def log_message(self, fmt, *args):  # no stderr access log: Harbor core has none
        pass

    def _send(self, status: int, body: dict, extra=None):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _decision(self, rec: dict):
        srv = self.server
        rec = dict(rec, type="token", site=srv.site, time=iso_ms(time.time()))
        with srv.dec_lock:
            srv.dec.write(json.dumps(rec, sort_keys=True) + "\n")
            srv.dec.flush()

    def _fail_500(self, u):
        """Harbor core's SendError for status >= 500: the error payload plus a Go stack trace,
        one multi-line record (src/lib/http/error.go)."""
        payload = {"errors": [{"code": "UNKNOWN", "message": "unknown: invalid character '\\x00' in query"}]}
        gid = 100 + int(time.time() * 1000) % 9000
        stack = "\n".join([
            "goroutine %d [running]:" % gid,
            "github.com/goharbor/harbor/src/lib/errors.(*Error).WithCause(...)",
            "\t/harbor/src/lib/errors/errors.go:70",
            "github.com/goharbor/harbor/src/core/service/token.(*Handler).Get(0xc000a1e2d0)",
            "\t/harbor/src/core/service/token/token.go:55 +0x2f1",
            "github.com/beego/beego/v2/server/web.(*ControllerRegister).serveHttp(0xc0004c6000, {0x2b1f7a8, 0xc000b2e0e0}, 0xc000cf6000)",
            "\t/harbor/src/vendor/github.com/beego/beego/v2/server/web/router.go:1006 +0x1d8c",
            "net/http.(*conn).serve(0xc000c10000, {0x2b21e90, 0xc000876a80})",
            "\t/usr/local/go/src/net/http/server.go:1995 +0x612",
        ])
        core_log("ERROR", "/lib/http/error.go:57", "%s %s" % (json.dumps(payload, separators=(",", ":")), stack))
        self._send(500, payload)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        u = urlsplit(self.path)
        if u.path.rstrip("/") != "/service/token":
            self._send(404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})
            return
        q = parse_qs(u.query)
        if "\x00" in u.query or any("\x00" in v for vs in q.values() for v in vs):
            self._fail_500(u)
            return
        scopes = q.get("scope", [])
        account = (q.get("account") or [""])[0]
        ua = self.headers.get("User-Agent", "")
        client_ip = (self.headers.get("X-Forwarded-For") or self.client_address[0]).split(",")[0].strip()
        user, password = None, None
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except Exception:
                user, password = "", ""
        policy = self.server.policy
        if user is not None:
            entry = policy.users.get(user)
            if entry is None or entry["password"] != password:
                reason = "unknown_user" if entry is None else "wrong_password"
                fields = '[client IP="%s" user agent="%s"]' % (client_ip, ua)
                if user.startswith("robot$"):
                    core_log("ERROR", "/server/middleware/security/robot.go:79", "failed to authenticate robot account: %s" % user)
                else:
                    if entry is not None:
                        core_log("WARNING", "/core/auth/authenticator.go:158",
                                 "Login failed, locking %s, and sleep for 1.5s" % user)
                    core_log("ERROR", "/server/middleware/security/basic_auth.go:72",
                             "failed to authenticate user:%s, error:Failed to authenticate user, due to error 'Invalid credentials'" % user,
                             fields)
                if entry is not None and not user.startswith("robot$"):
                    time.sleep(1.5)  # Harbor's lock on a failed login
                self._decision({"user": user, "account": account, "scopes": scopes, "status": 401,
                                "reason": reason, "granted": [], "client_ip": client_ip, "user_agent": ua})
                self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized: authentication required"}]},
                           {"Www-Authenticate": 'Basic realm="harbor"'})
                return
        access = []
        for scope in scopes:
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3:
                    continue
                typ, name, acts = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
                ok = policy.allowed(user, typ, name, acts)
                access.append({"type": typ, "name": name, "actions": ok})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.server.x5c]}
        claims = {"iss": ISSUER, "sub": user or "", "aud": (q.get("service") or [SERVICE])[0],
                  "exp": now + EXPIRES, "nbf": now - 1, "iat": now, "jti": str(uuid.uuid4()),
                  "access": access}
        signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        token = signing_input + "." + b64url(self.server.key.sign(signing_input.encode()))
        self._decision({"user": user or "", "account": account, "scopes": scopes, "status": 200,
                        "reason": "anonymous" if user is None else "ok", "granted": access,
                        "client_ip": client_ip, "user_agent": ua})
        self._send(200, {"token": token, "access_token": token, "expires_in": EXPIRES,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--site", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert-der", required=True)
    ap.add_argument("--users", required=True)
    ap.add_argument("--decisions", required=True)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.site = a.site
    srv.key = RSAKey(a.key)
    with open(a.cert_der, "rb") as f:
        srv.x5c = base64.b64encode(f.read()).decode()
    srv.policy = Policy(a.users)
    srv.dec = open(a.decisions, "a")
    srv.dec_lock = threading.Lock()
    core_log("INFO", "/core/main.go:182", "configurations initialization completed")
    core_log("INFO", "/core/main.go:255", "Registering token service on 127.0.0.1:%d for %s" % (a.port, a.site))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
