#!/usr/bin/env python3
"""JSON-RPC semantics as Bitcoin Core >= 28: 1.0/1.1 vs 2.0 bodies and HTTP codes,
batches, notifications, parse errors, invalid requests, unknown methods, named
parameters, type errors, and oversized requests."""
import json
import socket
import threading

from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in, assert_raises_rpc_error


class JSONRPCTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def send(self, obj):
        body = obj if isinstance(obj, (str, bytes)) else json.dumps(obj)
        status, headers, data = self.nodes[0].rpc.raw(body)
        return status, (json.loads(data) if data else None), headers

    def run_test(self):
        self.log("JSON-RPC 2.0: success omits error, errors omit result, both HTTP 200")
        status, r, headers = self.send({"jsonrpc": "2.0", "id": 7, "method": "uptime"})
        assert_equal(status, 200)
        assert_equal(headers["content-type"], "application/json")
        assert_equal(set(r), {"jsonrpc", "result", "id"})
        assert_equal((r["jsonrpc"], r["id"]), ("2.0", 7))
        status, r, _ = self.send({"jsonrpc": "2.0", "id": "x", "method": "nosuch"})
        assert_equal(status, 200)
        assert_equal(r, {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "x"})
        status, r, _ = self.send({"jsonrpc": "2.0", "id": 1, "method": "help", "params": [1]})
        assert_equal(status, 200)
        assert_equal(r["error"]["code"], -3)

        self.log("JSON-RPC 1.x: result and error always, errors map to HTTP codes")
        for req in ({"id": 1, "method": "uptime"}, {"jsonrpc": "1.0", "id": 1, "method": "uptime"}):
            status, r, _ = self.send(req)
            assert_equal(status, 200)
            assert_equal(set(r), {"result", "error", "id"})
            assert_equal(r["error"], None)
        status, r, _ = self.send({"id": 1, "method": "nosuch"})
        assert_equal(status, 404)
        assert_equal(r, {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 1})
        status, r, _ = self.send({"id": 1, "method": "logging", "params": [["nosuch"]]})
        assert_equal(status, 500)
        assert_equal(r["error"]["code"], -8)
        assert_equal(r["error"]["message"], "unknown logging category nosuch")
        status, r, _ = self.send({"method": "uptime"})
        assert_equal(status, 200)
        assert "id" not in r

        self.log("notifications (2.0 without id) get 204 and still run")
        status, r, _ = self.send({"jsonrpc": "2.0", "method": "logging", "params": [["http"]]})
        assert_equal((status, r), (204, None))
        assert_equal(self.nodes[0].rpc.logging()["http"], True)
        status, r, _ = self.send({"jsonrpc": "2.0", "method": "nosuch"})
        assert_equal((status, r), (204, None))

        self.log("parse errors and invalid requests")
        status, r, _ = self.send("{not json")
        assert_equal(status, 500)
        assert_equal(r, {"result": None, "error": {"code": -32700, "message": "Parse error"}, "id": None})
        status, r, _ = self.send("42")
        assert_equal(status, 500)
        assert_equal(r["error"], {"code": -32700, "message": "Top-level object parse error"})
        for req, msg in (({"id": 1}, "Missing method"),
                         ({"id": 1, "method": 5}, "Method must be a string"),
                         ({"id": 1, "method": "uptime", "params": 5}, "Params must be an array or object"),
                         ({"id": 1, "jsonrpc": "3.0", "method": "uptime"}, "JSON-RPC version not supported"),
                         ({"id": 1, "jsonrpc": 2, "method": "uptime"}, "jsonrpc field must be a string")):
            status, r, _ = self.send(req)
            assert_equal(status, 400)
            assert_equal(r["error"], {"code": -32600, "message": msg})
            assert_equal(r["id"], 1)
        status, r, _ = self.send({"jsonrpc": "2.0", "id": 2})
        assert_equal(status, 400)
        assert_equal(r, {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Missing method"}, "id": 2})

        self.log("batches: one reply per non-notification, always HTTP 200")
        status, r, _ = self.send([
            {"jsonrpc": "2.0", "id": 1, "method": "uptime"},
            {"jsonrpc": "2.0", "id": 2, "method": "nosuch"},
            {"jsonrpc": "2.0", "method": "uptime"},
            {"id": 3, "method": "nosuch"},
            5,
        ])
        assert_equal(status, 200)
        assert_equal(len(r), 4)
        assert_equal(r[0]["id"], 1)
        assert "error" not in r[0]
        assert_equal(r[1], {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 2})
        assert_equal(r[2], {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 3})
        assert_equal(r[3]["error"], {"code": -32600, "message": "Invalid Request object"})
        status, r, _ = self.send([])
        assert_equal((status, r), (200, []))
        status, r, _ = self.send([{"jsonrpc": "2.0", "method": "uptime"}])
        assert_equal((status, r), (204, None))

        self.log("named parameters")
        rpc = self.nodes[0].rpc
        assert_in("Request a graceful shutdown", rpc.help(command="stop"))
        assert_equal(rpc.logging(exclude=["http"])["http"], False)
        assert_equal(rpc.logging(include=["http"], exclude=None)["http"], True)
        assert_raises_rpc_error(-8, "Unknown named parameter cmd", rpc.help, cmd="stop")
        assert_raises_rpc_error(-8, "Unknown named parameter bogus", rpc.logging, include=[], bogus=1)

        self.log("wrong types and argument counts")
        e = assert_raises_rpc_error(-3, "Wrong type passed", rpc.help, 5)
        assert_in('"Position 1 (command)": "JSON value of type number is not of expected type string"',
                  e.error["message"])
        e = assert_raises_rpc_error(-3, None, rpc.logging, "http", {})
        assert_in("Position 1 (include)", e.error["message"])
        assert_in("Position 2 (exclude)", e.error["message"])
        assert_raises_rpc_error(-3, "is not of expected type string", rpc.logging, [5])
        assert_raises_rpc_error(-1, "uptime\n\nReturns the total uptime", rpc.uptime, 1)
        assert_raises_rpc_error(-1, "help ( \"command\" )", rpc.help, "a", "b")

        self.log("oversized requests are refused with 413, the server keeps going")
        # Announce a body over the 32 MiB limit; the server answers before reading it.
        with socket.create_connection(("127.0.0.1", self.nodes[0].rpc_port), timeout=30) as s:
            s.sendall(("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                       "Content-Length: %d\r\n\r\n" % (rpc.auth_header(), 32 * 1024 * 1024 + 1)).encode())
            assert_equal(s.recv(4096).split(b"\r\n")[0].split(b" ")[1], b"413")
        # A real oversized body: 413 or the connection closed under the sender.
        try:
            status, _, _ = rpc.raw(b"[" + b" " * (33 * 1024 * 1024) + b"]")
            assert_equal(status, 413)
        except (ConnectionError, OSError):
            pass
        assert rpc.uptime() >= 0

        self.log("parallel clients on keep-alive connections")
        errors = []

        def client():
            try:
                p = self.nodes[0].proxy()
                for _ in range(50):
                    assert p.uptime() >= 0
                    assert_equal(p.help("stop").split("\n")[0], "stop")
                p.close()
            except Exception as e:  # collected, raised below
                errors.append(e)
        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert_equal(errors, [])

        self.log("getrpcinfo lists itself as active")
        info = rpc.getrpcinfo()
        assert_equal([c["method"] for c in info["active_commands"]], ["getrpcinfo"])
        assert isinstance(info["active_commands"][0]["duration"], int)


if __name__ == "__main__":
    run(JSONRPCTest)
