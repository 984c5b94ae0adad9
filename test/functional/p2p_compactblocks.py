#!/usr/bin/env python3
"""BIP152 compact blocks with a Python peer: the node serves getdata MSG_CMPCT_BLOCK for
recent blocks (coinbase prefilled, short ids that match our own computation from the
block's wtxids) and full blocks for old ones, pushes new blocks as cmpctblock to a peer
that asked for high-bandwidth mode, answers getblocktxn with the transactions
asked for, and rebuilds a compact block a peer sends it: from its mempool alone when it
has every transaction, or after asking with getblocktxn for the ones it lacks. An
out-of-range getblocktxn index is misbehaviour."""
from test_framework.iop_tx import amount_sat, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh
from test_framework.messages import (
    MSG_CMPCT_BLOCK, CBlock, CInv, CTransaction, HeaderAndShortIDs, calculate_shortid,
    create_block, from_hex, msg_blocktxn, msg_cmpctblock, msg_getblocktxn,
    msg_getdata, msg_getheaders, msg_sendcmpct, uint256_from_hex)
from test_framework.p2p import P2PInterface, p2p_lock
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until

KEY = 21
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)


class CompactBlocksTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.p2p = True

    def spend(self, height, fee):
        rpc = self.nodes[0].rpc
        txid = rpc.getblock(rpc.getblockhash(height), 2)["tx"][0]["txid"]
        value = amount_sat(rpc.gettxout(txid, 0)["value"])
        return CTransaction.from_iop_tx(spend_p2wpkh(txid, 0, value, KEY, [(value - fee, SPK)]))

    def next_block(self, txs):
        """A solved block on the node's tip (its time just after the tip's: mined
        blocks run ahead of the clock)."""
        rpc = self.nodes[0].rpc
        tip = rpc.getblockheader(rpc.getbestblockhash())
        return create_block(tip["hash"], tip["height"] + 1, ntime=tip["time"] + 1, txs=txs)

    def block_at(self, blockhash):
        return from_hex(CBlock(), self.nodes[0].rpc.getblock(blockhash, 0))

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc
        rpc.generatetoaddress(120, ADDR)
        peer = node.add_p2p_connection(P2PInterface())

        self.log("getdata MSG_CMPCT_BLOCK for the tip: a cmpctblock with our short ids")
        txs = [self.spend(h, 5000) for h in (1, 2, 3)]
        for t in txs:
            rpc.sendrawtransaction(t.serialize().hex())
        tiphash = rpc.generatetoaddress(1, ADDR)[0]
        block = self.block_at(tiphash)
        assert_equal(len(block.vtx), 4)
        peer.send_message(msg_getdata([CInv(MSG_CMPCT_BLOCK, uint256_from_hex(tiphash))]))
        cb = peer.wait_for_message("cmpctblock").header_and_shortids
        assert_equal(cb.header.hash, tiphash)
        assert_equal(len(cb.prefilled_txn), 1)
        assert_equal(cb.prefilled_txn[0].index, 0)
        assert_equal(cb.prefilled_txn[0].tx.txid, block.vtx[0].txid)
        expected = [calculate_shortid(block, cb.nonce, t.wtxid_int) for t in block.vtx[1:]]
        assert_equal(cb.shortids, expected)

        self.log("getblocktxn returns the transactions asked for, in order")
        peer.send_message(msg_getblocktxn(uint256_from_hex(tiphash), [1, 3]))
        bt = peer.wait_for_message("blocktxn")
        assert_equal([t.wtxid for t in bt.transactions], [block.vtx[1].wtxid, block.vtx[3].wtxid])

        self.log("an old block asked for as MSG_CMPCT_BLOCK comes as a full block")
        old = rpc.getblockhash(100)
        peer.send_message(msg_getdata([CInv(MSG_CMPCT_BLOCK, uint256_from_hex(old))]))
        peer.wait_for_block(old)

        self.log("a compact block whose transactions are all in the mempool is rebuilt")
        mine = [self.spend(h, 6000) for h in (4, 5)]
        for t in mine:
            rpc.sendrawtransaction(t.serialize().hex())
        blk = self.next_block(mine)
        with p2p_lock:
            asked_before = peer.message_count["getblocktxn"]
        peer.send_and_ping(msg_cmpctblock(HeaderAndShortIDs.from_block(blk, nonce=7)))
        wait_until(lambda: rpc.getbestblockhash() == blk.hash, what="rebuilt block is the tip")
        with p2p_lock:
            assert_equal(peer.message_count["getblocktxn"], asked_before)
        assert_equal(rpc.getrawmempool(), [])

        self.log("a missing transaction is fetched with getblocktxn")
        known = self.spend(6, 7000)
        unknown = self.spend(7, 7000)  # never given to the node
        rpc.sendrawtransaction(known.serialize().hex())
        blk = self.next_block([known, unknown])
        peer.send_message(msg_cmpctblock(HeaderAndShortIDs.from_block(blk, nonce=99)))
        req = peer.wait_for_message("getblocktxn", count=asked_before + 1)
        assert_equal(req.blockhash, blk.sha256)
        assert_equal(req.indexes, [2])
        peer.send_and_ping(msg_blocktxn(blk.sha256, [unknown]))
        wait_until(lambda: rpc.getbestblockhash() == blk.hash, what="block completed by blocktxn")

        self.log("high-bandwidth mode: after sendcmpct(1) new blocks come as cmpctblock")
        hb = node.add_p2p_connection(P2PInterface())
        hb.send_and_ping(msg_sendcmpct(announce=True, version=2))
        # The node pushes a block only to peers that have its parent's header (Core).
        hb.send_message(msg_getheaders([uint256_from_hex(rpc.getbestblockhash())]))
        hb.wait_for_message("headers")
        wait_until(lambda: any(p["bip152_hb_from"] for p in rpc.getpeerinfo()), what="hb peer")
        with p2p_lock:
            before = hb.message_count["cmpctblock"]
        newhash = rpc.generatetoaddress(1, ADDR)[0]
        pushed = hb.wait_for_message("cmpctblock", count=before + 1).header_and_shortids
        assert_equal(pushed.header.hash, newhash)

        self.log("a getblocktxn index past the end of the block is misbehaviour")
        peer.send_message(msg_getblocktxn(blk.sha256, [5]))
        peer.wait_for_disconnect()
        assert_equal(rpc.getbestblockhash(), newhash)


if __name__ == "__main__":
    run(CompactBlocksTest)
