#!/usr/bin/env python3
"""Inbound limits and eviction: with -maxconnections=49 the node keeps 30 inbound slots
(19 are reserved for outbound and manual connections). A 31st inbound peer evicts one
unprotected peer rather than being refused; peers that recently gave the node a block or
have the lowest ping are protected; with -maxconnections=20 (one inbound slot, taken by a
peer protected as the only member of its group) a second inbound peer is refused."""
import time

from test_framework.messages import create_block, msg_block
from test_framework.p2p import P2PInterface
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until


class EvictionTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.p2p = True
        self.extra_args = [["-maxconnections=49"]]

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc
        rpc.generatetodescriptor(1, "raw(51)")

        self.log("30 inbound peers fill the slots")
        peers = [node.add_p2p_connection(P2PInterface()) for _ in range(30)]
        assert_equal(rpc.getconnectioncount(), 30)

        self.log("the first peer gives the node a new block: it is protected")
        tip = rpc.getblockheader(rpc.getbestblockhash())
        blk = create_block(tip["hash"], tip["height"] + 1, ntime=tip["time"] + 1)
        peers[0].send_and_ping(msg_block(blk))
        assert_equal(rpc.getbestblockhash(), blk.hash)

        self.log("a 31st peer gets in by evicting one of the others")
        newcomer = node.add_p2p_connection(P2PInterface())
        wait_until(lambda: sum(1 for p in peers if not p.is_connected) == 1, what="one evicted")
        assert newcomer.is_connected
        assert peers[0].is_connected, "the peer that brought a block was evicted"
        assert_equal(rpc.getconnectioncount(), 30)
        node.disconnect_p2ps()

        self.log("with one inbound slot a second peer is refused")
        node.stop()
        node.start(["-maxconnections=20"])
        first = node.add_p2p_connection(P2PInterface())
        second = P2PInterface()
        second.peer_connect("127.0.0.1", node.p2p_port)
        second.wait_for_disconnect()
        time.sleep(0.2)
        assert first.is_connected
        assert_equal(node.rpc.getconnectioncount(), 1)


if __name__ == "__main__":
    run(EvictionTest)
