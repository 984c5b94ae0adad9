"""A JSON-RPC 2.0 client for iopd: node.rpc.getblockcount(), node.rpc.help(command="stop").

Positional arguments go out as a JSON array, keyword arguments as a named-parameter
object (mixing both is refused). Errors raise JSONRPCException carrying Core's error
object, so tests can check `e.error["code"]`.
"""
import base64
import http.client
import json


class JSONRPCException(Exception):
    def __init__(self, error, http_status=None):
        self.error = error
        self.http_status = http_status
        super().__init__("%s (%s)" % (error.get("message"), error.get("code")))


class RPCProxy:
    def __init__(self, host, port, user, password, path="/", timeout=60):
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.path = path
        self.timeout = timeout
        self._id = 0
        self._conn = None

    def auth_header(self, user=None, password=None):
        user = self.user if user is None else user
        password = self.password if password is None else password
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        return "Basic " + token

    def _connection(self):
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def raw(self, body, method="POST", path=None, headers=None, auth=True):
        """Sends body (bytes or str) and returns (status, headers dict, body bytes)."""
        if isinstance(body, str):
            body = body.encode()
        hdrs = {"Content-Type": "application/json"}
        if auth is True:
            hdrs["Authorization"] = self.auth_header()
        elif auth:
            hdrs["Authorization"] = auth
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path or self.path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def call(self, method, *args, **kwargs):
        if args and kwargs:
            raise ValueError("use positional or named parameters, not both")
        self._id += 1
        req = {"jsonrpc": "2.0", "id": self._id, "method": method,
               "params": kwargs if kwargs else list(args)}
        body = json.dumps(req).encode()
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request("POST", self.path, body=body, headers={
                    "Authorization": self.auth_header(), "Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt:
                    raise
        if resp.status != 200:
            try:
                reply = json.loads(data)
                raise JSONRPCException(reply["error"], resp.status)
            except (ValueError, KeyError, TypeError):
                raise JSONRPCException({"code": -342, "message": "HTTP %d: %r" % (resp.status, data)},
                                       resp.status)
        reply = json.loads(data)
        if "error" in reply:
            raise JSONRPCException(reply["error"], resp.status)
        return reply["result"]

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)
