#!/usr/bin/env python3
"""Stall detection: node 1 learns node 0's 1,100 headers from a Python peer that never
delivers blocks, so the first blocks of the download window are requested from it.
When node 1 then connects to node 0 and fetches the rest of the window from there, the
Python peer is holding the window back: after 2 seconds it is disconnected, its blocks
are asked of node 0, and node 1 reaches the tip."""
from test_framework.messages import CBlockHeader, from_hex, msg_headers
from test_framework.p2p import P2PInterface, p2p_lock
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until


class Staller(P2PInterface):
    """Answers nothing but pings; counts the blocks it is asked for."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.asked = 0

    def on_getdata(self, msg):
        self.asked += len(msg.inv)


class StallingTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.p2p = True

    def run_test(self):
        n0, n1 = self.nodes
        n0.rpc.generatetodescriptor(1100, "raw(51)")
        headers = [from_hex(CBlockHeader(), n0.rpc.getblockheader(n0.rpc.getblockhash(h), False))
                   for h in range(1, 1101)]

        self.log("a Python peer gives node 1 the headers and then stalls")
        staller = n1.add_p2p_connection(Staller())
        staller.send_and_ping(msg_headers(headers[:2000]))
        wait_until(lambda: staller.asked > 0, what="blocks requested from the staller")
        assert_equal(n1.rpc.getblockchaininfo()["headers"], 1100)
        assert_equal(n1.rpc.getblockcount(), 0)

        self.log("node 0 serves the rest; the staller is dropped and node 1 syncs")
        self.connect_nodes(1, 0)
        staller.wait_for_disconnect(timeout=60)
        wait_until(lambda: n1.rpc.getblockcount() == 1100, timeout=120, what="node 1 synced")
        assert_equal(n1.rpc.getbestblockhash(), n0.rpc.getbestblockhash())
        with p2p_lock:
            assert staller.asked <= 16, staller.asked


if __name__ == "__main__":
    run(StallingTest)
