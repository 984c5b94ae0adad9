#!/usr/bin/env python3
"""The btc-regtest conformance profile over P2P: nodes run with Bitcoin's regtest
genesis, magic (fabfb5da) and rules. With a Python peer speaking Bitcoin's regtest magic,
both ways: the peer syncs the headers and blocks the node mined; the node syncs 110
blocks the peer mined and announced (headers first, blocks by getdata); a transaction
the peer sends enters the node's mempool, and one given to the node by RPC is announced
to the peer and fetched. A second iopd on btc-regtest syncs from the first; a peer using
iop's regtest magic is cut off at the first header. (No Bitcoin Core binary exists on
this machine; the Python peer is an independent implementation of the protocol.)"""
from test_framework.iop_tx import p2wpkh_script, pubkey, spend_p2wpkh
from test_framework.messages import (
    CBlock, CBlockHeader, CInv, CTransaction, MSG_WITNESS_BLOCK, MSG_WTX, create_block,
    create_coinbase, from_hex, msg_block, msg_getdata, msg_getheaders, msg_tx, uint256_from_hex)
from test_framework.p2p import P2PInterface
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until

MAGIC_BTC_REGTEST = bytes.fromhex("fabfb5da")
KEY = 51
SPK = p2wpkh_script(pubkey(KEY))
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

        self.log("the node syncs 110 blocks the Python peer mined, headers first")
        chain, prev, t = [], mine, mine.time
        for h in range(tip["height"] + 2, tip["height"] + 112):
            t += 1
            b = create_block(prev.hash, h, ntime=t, coinbase=create_coinbase(h, SPK))
            chain.append(b)
            prev = b
        peer.announce_blocks(chain[:100])
        peer.announce_blocks(chain[100:])
        wait_until(lambda: n0.rpc.getbestblockhash() == chain[-1].hash, what="node synced")

        self.log("transactions both ways")
        cb = chain[0].vtx[0]
        tx = CTransaction.from_iop_tx(spend_p2wpkh(cb.txid, 0, cb.vout[0].value, KEY,
                                                   [(cb.vout[0].value - 10000, SPK)]))
        peer.send_and_ping(msg_tx(tx))
        assert tx.txid in n0.rpc.getrawmempool()
        cb2 = chain[1].vtx[0]
        tx2 = CTransaction.from_iop_tx(spend_p2wpkh(cb2.txid, 0, cb2.vout[0].value, KEY,
                                                    [(cb2.vout[0].value - 10000, SPK)]))
        n0.rpc.sendrawtransaction(tx2.serialize().hex())
        wait_until(lambda: CInv(MSG_WTX, tx2.wtxid_int) in peer.last_message.get("inv", msg_getdata()).inv,
                   what="inv of the RPC transaction")
        peer.send_message(msg_getdata([CInv(MSG_WTX, tx2.wtxid_int)]))
        got = peer.wait_for_message("tx").tx
        assert_equal(got.wtxid, tx2.wtxid)

        self.log("a second iopd on btc-regtest syncs from the first")
        self.connect_nodes(1, 0)
        self.sync_blocks()
        assert_equal(n1.rpc.getblockcount(), 131)

        self.log("iop's own regtest magic is another network: cut off at once")
        stranger = P2PInterface()
        stranger.peer_connect("127.0.0.1", n0.p2p_port)
        stranger.wait_for_disconnect()


if __name__ == "__main__":
    run(BtcRegtestP2PTest)
