#!/usr/bin/env python3
"""RPC during start-up: while the node loads (here: a wallet catching up with 5,000
blocks it has not seen), every call except the ones Core allows gets -28 with the
current init message, and once loading is done the same calls succeed."""
import time

from test_framework.authproxy import JSONRPCException
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal


class WarmupTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        node.rpc.createwallet("w")
        node.rpc.unloadwallet("w")
        node.rpc.generatetodescriptor(5000, "raw(51)")
        node.stop()

        self.log("calls made while the wallet loads get -28 with the init message")
        node.start(["-wallet=w"], wait=False)
        seen = []
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                node._rpc = None
                node.rpc.getblockcount()
                break
            except JSONRPCException as e:
                seen.append((e.error["code"], e.error["message"]))
            except (OSError, ValueError):
                pass  # not listening yet
            time.sleep(0.01)
        assert seen, "the node never answered -28 (loading was too quick to observe)"
        assert all(code == -28 for code, _ in seen), seen
        self.log("%d calls answered -28 while loading" % len(seen))
        assert any(msg == "Loading wallet..." for _, msg in seen), seen

        self.log("after loading the same call works")
        assert_equal(node.rpc.getblockcount(), 5000)
        assert_equal(node.rpc.listwallets(), ["w"])


if __name__ == "__main__":
    run(WarmupTest)
