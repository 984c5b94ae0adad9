#!/usr/bin/env python3
"""RPC authentication and access: cookie, -rpcuser/-rpcpassword, -rpcauth (salted
HMAC-SHA256 as Core's share/rpcauth), wrong credentials (401 with WWW-Authenticate),
-rpcallowip (403), unknown paths (404) and methods other than POST (405)."""
import hmac
import os
import secrets
import threading

from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in, free_port

BODY = '{"jsonrpc":"2.0","id":1,"method":"uptime"}'


def rpcauth_line(user, password):
    salt = secrets.token_hex(16)
    h = hmac.new(salt.encode(), password.encode(), "sha256").hexdigest()
    return "%s:%s$%s" % (user, salt, h)


class AuthTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc

        self.log("cookie authentication by default")
        with open(os.path.join(node.chaindir, ".cookie")) as f:
            cookie = f.read()
        user, _, pw = cookie.partition(":")
        assert_equal(user, "__cookie__")
        assert_equal(len(pw), 64)
        int(pw, 16)
        status, _, body = rpc.raw(BODY)
        assert_equal(status, 200)

        self.log("missing and wrong credentials get 401 with WWW-Authenticate")
        status, headers, body = rpc.raw(BODY, auth=False)
        assert_equal(status, 401)
        assert_equal(headers.get("www-authenticate"), 'Basic realm="jsonrpc"')
        status, headers, _ = rpc.raw(BODY, auth=rpc.auth_header("__cookie__", "0" * 64))
        assert_equal(status, 401)
        assert_in("www-authenticate", headers)
        status, _, _ = rpc.raw(BODY, auth="Basic !!!notbase64")
        assert_equal(status, 401)
        status, _, _ = rpc.raw(BODY, auth="Bearer xyz")
        assert_equal(status, 401)

        self.log("unknown paths get 404, GET gets 405")
        for path in ("/nothing", "/wallet", "/?x"):
            status, _, _ = rpc.raw(BODY, path=path)
            assert_equal(status, 404)
        status, _, body = rpc.raw("", method="GET")
        assert_equal(status, 405)
        assert_in(b"JSONRPC server handles only POST requests", body)
        status, _, body = rpc.raw(BODY, path="/wallet/some%20wallet")
        assert_equal(status, 200)

        self.log("-rpcuser/-rpcpassword and -rpcauth")
        node.stop()
        auth1 = rpcauth_line("alice", "alicepw")
        auth2 = rpcauth_line("bob", "bob:pw$with:odd")
        node.start(["-rpcuser=carol", "-rpcpassword=carolpw", "-rpcauth=" + auth1,
                    "-rpcauth=" + auth2], wait=False)
        node.rpc_user, node.rpc_password = "carol", "carolpw"
        node.wait_for_rpc()
        assert not os.path.exists(os.path.join(node.chaindir, ".cookie"))
        for u, p in (("carol", "carolpw"), ("alice", "alicepw"), ("bob", "bob:pw$with:odd")):
            assert node.proxy(u, p).uptime() >= 0
        for u, p in (("carol", "wrong"), ("alice", "carolpw"), ("mallory", "alicepw"), ("", "")):
            status, _, _ = node.rpc.raw(BODY, auth=node.rpc.auth_header(u, p))
            assert_equal(status, 401)
        node.stop()

        self.log("-rpcauth alone keeps the cookie")
        node.rpc_user = node.rpc_password = None
        node.start(["-rpcauth=" + auth1])
        assert os.path.exists(os.path.join(node.chaindir, ".cookie"))
        assert node.proxy("alice", "alicepw").uptime() >= 0
        assert node.rpc.uptime() >= 0
        node.stop()

        self.log("-rpcallowip: a client outside the allowed subnets gets 403")
        node.start(["-rpcallowip=10.0.0.0/8", "-rpcbind=127.0.0.1", "-rpcallowloopback=0"], wait=False)
        from test_framework.util import wait_until
        wait_until(lambda: os.path.exists(os.path.join(node.chaindir, ".cookie")), what="cookie")

        def forbidden():
            try:
                return node.proxy().raw(BODY)[0] == 403
            except OSError:
                return False
        wait_until(forbidden, what="403")
        node.process.terminate()
        assert_equal(node.wait_for_exit(), 0)
        node.start(["-rpcallowip=127.0.0.0/255.0.0.0", "-rpcbind=127.0.0.1", "-rpcallowloopback=0"])
        assert node.rpc.uptime() >= 0
        node.stop()

        self.log("-rpcbind with a port needs -rpcallowip; without it only loopback is bound")
        other = free_port()
        node.start(["-rpcallowip=127.0.0.1", "-rpcbind=127.0.0.1:%d" % other], wait=False)
        node.rpc_port = other
        node.wait_for_rpc()
        node.stop()
        node.rpc_port = free_port()
        node.start(["-rpcbind=127.0.0.2"])
        assert_in("option -rpcbind was ignored because -rpcallowip was not specified", node.debug_log())
        node.stop()

        self.log("a full work queue answers 503")
        # One worker, queue of one: wrong passwords keep the worker asleep for 250 ms each.
        node.start(["-rpcthreads=1", "-rpcworkqueue=1"])
        results = []
        bad = node.rpc.auth_header("__cookie__", "wrong")

        def hit():
            results.append(node.proxy().raw(BODY, auth=bad))
        threads = [threading.Thread(target=hit) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r[0] for r in results)
        assert_in(503, statuses)
        assert_in(401, statuses)
        assert_in(b"Work queue depth exceeded", [r[2] for r in results if r[0] == 503][0])
        assert node.rpc.uptime() >= 0


if __name__ == "__main__":
    run(AuthTest)
