"""Minimal registry v2 client (standard library only) for the lab.

Used where skopeo cannot do what the scenario needs:
  * the replicator, which must send Harbor's `harbor-registry-client` user agent and
    follows Harbor's transfer order: HEAD manifest on the destination (skip if present) ->
    GET manifest from the source -> per blob HEAD on the destination, GET from the source,
    POST + monolithic PUT ?digest= on the destination -> PUT manifest;
  * a push through a path prefix (nginx `/registry/`) after a good login.

Every HTTP exchange is recorded in `Client.trace` (method, path, status, start, end).
"""
import base64
import http.client
import json
import ssl
import time
from urllib.parse import urlencode, urlsplit

MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


class RegistryError(Exception):
    def __init__(self, msg, status=None, method=None, path=None):
        super().__init__(msg)
        self.status, self.method, self.path = status, method, path


def parse_challenge(value: str):
    scheme, _, rest = value.partition(" ")
    params, key, i = {}, "", 0
    while i < len(rest):
        eq = rest.find("=", i)
        if eq < 0:
            break
        key = rest[i:eq].strip().strip(",").strip()
        if rest[eq + 1:eq + 2] == '"':
            end = rest.find('"', eq + 2)
            params[key] = rest[eq + 2:end]
            i = end + 1
        else:
            end = rest.find(",", eq + 1)
            end = len(rest) if end < 0 else end
            params[key] = rest[eq + 1:end]
            i = end
        i = rest.find(",", i)
        if i < 0:
            break
        i += 1
    return scheme.lower(), params


class Client:
    def __init__(self, base: str, user_agent: str, creds=None, prefix: str = "",
                 host_header=None, realm_override=None, timeout: float = 20.0, forwarded_for=None):
        u = urlsplit(base)
        self.scheme, self.netloc = u.scheme, u.netloc
        self.ua, self.creds, self.prefix = user_agent, creds, prefix.rstrip("/")
        self.host_header = host_header
        self.forwarded_for = forwarded_for
        self.realm_override = realm_override
        self.timeout = timeout
        self.trace = []
        self.tokens = {}
        self.challenge = None
        self._conn = None

    # ------------------------------------------------------------ transport
    def _connect(self, netloc=None, scheme=None):
        netloc, scheme = netloc or self.netloc, scheme or self.scheme
        if scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(netloc, timeout=self.timeout, context=ctx)
        return http.client.HTTPConnection(netloc, timeout=self.timeout)

    def raw(self, method, path, headers=None, body=None, url=None):
        """One request on the keep-alive connection (or to `url` on a fresh one)."""
        h = {"User-Agent": self.ua}
        if self.host_header:
            h["Host"] = self.host_header
        if self.forwarded_for:
            h["X-Forwarded-For"] = self.forwarded_for
        h.update(headers or {})
        t0 = time.time()
        if url:
            u = urlsplit(url)  # another host (a token realm): its own connection; `path` is used as given
            conn = self._connect(u.netloc, u.scheme)
            own = True
        else:
            if self._conn is None:
                self._conn = self._connect()
            conn, own = self._conn, False
        for attempt in (1, 2):
            try:
                conn.request(method, path, body=body, headers=h)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                conn.close()
                if own or attempt == 2:
                    raise
                self._conn = conn = self._connect()
        if own or resp.getheader("Connection", "").lower() == "close":
            conn.close()
            if not own:
                self._conn = None
        self.trace.append({"method": method, "path": path, "status": resp.status,
                           "start": t0, "end": time.time(), "url": url or None})
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    # ------------------------------------------------------------ auth
    def ping(self):
        status, hdrs, _ = self.raw("GET", self.prefix + "/v2/")
        if status == 401 and "www-authenticate" in hdrs:
            self.challenge = parse_challenge(hdrs["www-authenticate"])
        return status

    def _token(self, scope: str):
        if scope in self.tokens:
            return self.tokens[scope]
        if self.challenge is None:
            self.ping()
        if self.challenge is None or self.challenge[0] != "bearer":
            return None
        params = self.challenge[1]
        realm = self.realm_override or params["realm"]
        q = {}
        if self.creds:
            q["account"] = self.creds[0]
        q["scope"] = scope
        q["service"] = params.get("service", "")
        headers = {}
        if self.creds:
            headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % self.creds).encode()).decode()
        u = urlsplit(realm)
        status, _, data = self.raw("GET", u.path + "?" + urlencode(q), headers, url=realm)
        if status != 200:
            raise RegistryError("token request failed: %d" % status, status, "GET", u.path)
        tok = json.loads(data)["token"]
        self.tokens[scope] = tok
        return tok

    def call(self, method, path, scope, headers=None, body=None, ok=(200, 201, 202, 204, 307)):
        h = dict(headers or {})
        tok = self._token(scope)
        if tok:
            h["Authorization"] = "Bearer " + tok
        status, hdrs, data = self.raw(method, self.prefix + path, h, body)
        return status, hdrs, data

    # ------------------------------------------------------------ registry API
    def head_manifest(self, repo, ref, scope):
        st, h, _ = self.call("HEAD", "/v2/%s/manifests/%s" % (repo, ref), scope, {"Accept": MANIFEST_TYPES})
        return st, h.get("docker-content-digest")

    def get_manifest(self, repo, ref, scope):
        st, h, data = self.call("GET", "/v2/%s/manifests/%s" % (repo, ref), scope, {"Accept": MANIFEST_TYPES})
        if st != 200:
            raise RegistryError("GET manifest %s:%s: %d" % (repo, ref, st), st, "GET", "/v2/%s/manifests/%s" % (repo, ref))
        return data, h.get("content-type", ""), h.get("docker-content-digest")

    def head_blob(self, repo, digest, scope):
        st, _, _ = self.call("HEAD", "/v2/%s/blobs/%s" % (repo, digest), scope)
        return st

    def get_blob(self, repo, digest, scope):
        st, _, data = self.call("GET", "/v2/%s/blobs/%s" % (repo, digest), scope)
        if st != 200:
            raise RegistryError("GET blob %s: %d" % (digest, st), st, "GET", "/v2/%s/blobs/%s" % (repo, digest))
        return data

    def push_blob(self, repo, digest, data, scope):
        """POST /blobs/uploads/ then one monolithic PUT <location>&digest= (Harbor's PushBlob)."""
        path = "/v2/%s/blobs/uploads/" % repo
        st, h, _ = self.call("POST", path, scope, {"Content-Length": "0"}, b"")
        if st != 202:
            raise RegistryError("POST %s: %d" % (path, st), st, "POST", self.prefix + path)
        loc = urlsplit(h["location"])
        target = loc.path + ("?" + loc.query + "&" if loc.query else "?") + urlencode({"digest": digest})
        if target.startswith("/v2/"):
            target = target[len("/v2"):]
        st, _, _ = self.call("PUT", "/v2" + target, scope,
                             {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}, data)
        if st != 201:
            raise RegistryError("PUT upload: %d" % st, st, "PUT", self.prefix + "/v2" + target.split("?")[0])

    def put_manifest(self, repo, ref, data, media_type, scope):
        path = "/v2/%s/manifests/%s" % (repo, ref)
        st, h, _ = self.call("PUT", path, scope, {"Content-Type": media_type, "Content-Length": str(len(data))}, data)
        if st != 201:
            raise RegistryError("PUT manifest %s:%s: %d" % (repo, ref, st), st, "PUT", self.prefix + path)
        return h.get("docker-content-digest")

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def blobs_of(manifest: dict):
    out = []
    if "config" in manifest:
        out.append(manifest["config"]["digest"])
    out += [l["digest"] for l in manifest.get("layers", [])]
    return out
