#!/usr/bin/env python3
"""The bound on low-work header spam: headers of a side chain that forks more than 288
blocks below the tip and brings less work than the tip are not stored (getchaintips
does not grow) and do not get the peer punished; the same kind of fork close to the tip,
or one that brings more work, is stored as usual."""
from test_framework.messages import CBlockHeader, create_block, msg_headers
from test_framework.p2p import P2PInterface
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal


class LowWorkHeadersTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.p2p = True

    def fork(self, base_hash, count, start_time):
        """count solved headers on top of base_hash (tie-breaking coinbase text)."""
        rpc = self.nodes[0].rpc
        base = rpc.getblockheader(base_hash)
        prev, height, t = base["hash"], base["height"], max(start_time, base["time"] + 1)
        headers = []
        for i in range(count):
            height += 1
            b = create_block(prev, height, ntime=t + i)
            headers.append(CBlockHeader(b))
            prev = b.hash
        return headers

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc
        rpc.generatetodescriptor(400, "raw(51)")
        tip = rpc.getblockheader(rpc.getbestblockhash())
        peer = node.add_p2p_connection(P2PInterface())
        tips_before = len(rpc.getchaintips())

        self.log("a 50-header fork from genesis (400 deep, less work) is not stored")
        genesis = rpc.getblockhash(0)
        spam = self.fork(genesis, 50, tip["time"] - 3600)
        peer.send_and_ping(msg_headers(spam))
        assert_equal(len(rpc.getchaintips()), tips_before)
        assert peer.is_connected
        assert_equal(rpc.getblockchaininfo()["headers"], 400)

        self.log("a fork 10 blocks below the tip is stored (a normal reorg candidate)")
        near = self.fork(rpc.getblockhash(390), 5, tip["time"] + 1)
        peer.send_and_ping(msg_headers(near))
        tips = rpc.getchaintips()
        assert_equal(len(tips), tips_before + 1)
        assert any(t["hash"] == near[-1].hash and t["status"] == "headers-only" for t in tips), tips

        self.log("a deep fork with more work than the tip is stored")
        long_fork = self.fork(rpc.getblockhash(50), 2000, tip["time"] + 10)
        peer.send_and_ping(msg_headers(long_fork[:2000]))
        assert_equal(rpc.getblockchaininfo()["headers"], 2050)
        assert peer.is_connected


if __name__ == "__main__":
    run(LowWorkHeadersTest)
