#!/usr/bin/env python3
"""The btc-regtest conformance profile over P2P: nodes run with Bitcoin's regtest
genesis, magic (fabfb5da) and rules. A Python peer speaking Bitcoin's regtest magic
handshakes, syncs the headers and blocks the node mined and has a block it mined itself
accepted; a second iopd on btc-regtest syncs from the first; a peer using iop's regtest
magic is cut off at the first header. (A real Bitcoin Core node is not available on this
machine; the Python peer is an independent implementation of the same protocol.)"""
from test_framework.messages import (
    CBlock, CBlockHeader, MSG_WITNESS_BLOCK, CInv, create_block, from_hex, msg_block,
    msg_getdata, msg_getheaders, uint256_from_hex)
from test_framework.p2p import P2PInterface
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until

MAGIC_BTC_REGTEST = bytes.fromhex("fabfb5da")
BTC_REGTEST_GENESIS = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"


class BtcRegtestP2PTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.p2p = True
        self.chain = "btc-regtest"

    def run_test(self):
        n0, n1 = self.nodes
        assert_equal(n0.rpc.getblockhash(0), BTC_REGTEST_GENESIS)
        hashes = n0.rpc.generatetodescriptor(20, "raw(51)")

        self.log("a Python peer with Bitcoin's regtest magic syncs headers and blocks")
        peer = n0.add_p2p_connection(P2PInterface(magic=MAGIC_BTC_REGTEST))
        peer.send_message(msg_getheaders([uint256_from_hex(BTC_REGTEST_GENESIS)]))
        hdrs = peer.wait_for_message("headers").headers
        assert_equal([CBlockHeader(h).hash for h in hdrs], hashes)
        peer.send_message(msg_getdata([CInv(MSG_WITNESS_BLOCK, uint256_from_hex(hashes[-1]))]))
        peer.wait_for_block(hashes[-1])
        blk = from_hex(CBlock(), n0.rpc.getblock(hashes[-1], 0))
        assert blk.is_valid_merkle()

        self.log("a block the Python peer mined is accepted")
        tip = n0.rpc.getblockheader(hashes[-1])
        mine = create_block(tip["hash"], tip["height"] + 1, ntime=tip["time"] + 1)
        peer.send_and_ping(msg_block(mine))
        assert_equal(n0.rpc.getbestblockhash(), mine.hash)

        self.log("a second iopd on btc-regtest syncs from the first")
        self.connect_nodes(1, 0)
        self.sync_blocks()
        assert_equal(n1.rpc.getblockcount(), 21)

        self.log("iop's own regtest magic is another network: cut off at once")
        stranger = P2PInterface()
        stranger.peer_connect("127.0.0.1", n0.p2p_port)
        stranger.wait_for_disconnect()


if __name__ == "__main__":
    run(BtcRegtestP2PTest)
