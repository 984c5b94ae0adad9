#!/usr/bin/env python3
"""Transaction relay over P2P: a transaction given to node 0 with sendrawtransaction
reaches node 3's mempool through nodes 1 and 2; Python peers hear of it by inv, as
MSG_WTX/wtxid when they sent wtxidrelay and as MSG_TX/txid when they did not, and can
fetch it with getdata; a transaction a Python peer announces is fetched from it and
spreads the other way; an unsolicited tx message is accepted too; feefilter keeps cheap
transactions from a peer; a block empties every mempool. Skips until the daemon has its
P2P layer."""
from test_framework.iop_tx import amount_sat, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh
from test_framework.messages import (
    MSG_TX, MSG_WITNESS_TX, MSG_WTX, CInv, CTransaction, msg_feefilter, msg_getdata, msg_inv,
    msg_tx)
from test_framework.p2p import P2PInterface, p2p_lock
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until

KEY = 11
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)


class InvRecorder(P2PInterface):
    """Keeps every inv entry it was sent (not just the last message)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.all_invs = []

    def on_inv(self, msg):
        self.all_invs.extend(msg.inv)

    def has_inv(self, inv):
        with p2p_lock:
            return inv in self.all_invs


class TxRelayTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.p2p = True

    def coinbase(self, height):
        rpc = self.nodes[0].rpc
        txid = rpc.getblock(rpc.getblockhash(height), 2)["tx"][0]["txid"]
        return txid, amount_sat(rpc.gettxout(txid, 0)["value"])

    def spend(self, height, fee):
        txid, value = self.coinbase(height)
        return CTransaction.from_iop_tx(spend_p2wpkh(txid, 0, value, KEY, [(value - fee, SPK)]))

    def run_test(self):
        n0, n1, n2, n3 = self.nodes
        n0.rpc.generatetoaddress(110, ADDR)  # coinbases of blocks 1-10 are spendable
        # Join the line one node at a time: each newcomer syncs by getheaders (block
        # announcements are p2p_sync's business).
        for a, b in ((0, 1), (1, 2), (2, 3)):
            self.connect_nodes(a, b)
            self.sync_blocks(self.nodes[:b + 1])

        wpeer = n3.add_p2p_connection(InvRecorder())                         # wtxidrelay
        tpeer = n3.add_p2p_connection(InvRecorder(support_wtxidrelay=False))  # txid relay

        self.log("sendrawtransaction on node 0 reaches node 3 through nodes 1 and 2")
        tx = self.spend(1, 10000)
        assert tx.txid != tx.wtxid  # a segwit spend: the two ids differ
        assert_equal(n0.rpc.sendrawtransaction(tx.serialize().hex()), tx.txid)
        for n in (n1, n2, n3):
            wait_until(lambda: tx.txid in n.rpc.getrawmempool(), what="tx at node%d" % n.index)
        self.sync_mempools()

        self.log("inv: MSG_WTX by wtxid to a wtxidrelay peer, MSG_TX by txid to the other")
        wait_until(lambda: wpeer.has_inv(CInv(MSG_WTX, tx.wtxid_int)), what="MSG_WTX inv")
        wait_until(lambda: tpeer.has_inv(CInv(MSG_TX, tx.txid_int)), what="MSG_TX inv")
        with p2p_lock:
            assert all(i.type != MSG_TX for i in wpeer.all_invs), wpeer.all_invs
            assert all(i.type != MSG_WTX for i in tpeer.all_invs), tpeer.all_invs

        self.log("getdata returns the transaction with its witness")
        wpeer.send_message(msg_getdata([CInv(MSG_WTX, tx.wtxid_int)]))
        wpeer.wait_until(lambda: "tx" in wpeer.last_message, what="tx")
        assert_equal(wpeer.last_message["tx"].tx.serialize(), tx.serialize())
        tpeer.send_message(msg_getdata([CInv(MSG_WITNESS_TX, tx.txid_int)]))
        tpeer.wait_until(lambda: "tx" in tpeer.last_message, what="tx")
        assert_equal(tpeer.last_message["tx"].tx.serialize(), tx.serialize())
        # Something the node does not have: notfound.
        tpeer.send_message(msg_getdata([CInv(MSG_WITNESS_TX, 0x1234)]))
        tpeer.wait_until(lambda: "notfound" in tpeer.last_message, what="notfound")
        assert_equal(tpeer.last_message["notfound"].inv[0].hash, 0x1234)

        self.log("a transaction announced by a Python peer is fetched and spreads to node 0")
        tx2 = self.spend(2, 20000)
        wpeer.add_tx(tx2)
        wpeer.send_message(msg_inv([CInv(MSG_WTX, tx2.wtxid_int)]))
        wpeer.wait_for_getdata([tx2.wtxid_int])
        with p2p_lock:
            asked = [i for i in wpeer.getdata_requests if i.hash == tx2.wtxid_int]
        assert_equal(asked[0].type, MSG_WTX)
        wait_until(lambda: tx2.txid in n0.rpc.getrawmempool(), what="tx2 at node 0")

        self.log("an unsolicited tx message is accepted and relayed")
        tx3 = self.spend(3, 30000)
        tpeer.send_and_ping(msg_tx(tx3))
        wait_until(lambda: tx3.txid in n3.rpc.getrawmempool(), what="tx3 at node 3")
        self.sync_mempools()
        assert_equal(sorted(n0.rpc.getrawmempool()), sorted([tx.txid, tx2.txid, tx3.txid]))
        # node 3 announces it to its other Python peer.
        wait_until(lambda: wpeer.has_inv(CInv(MSG_WTX, tx3.wtxid_int)), what="tx3 inv")

        self.log("feefilter: a peer asking for 50 sat/vB does not hear of a 10 sat/vB tx")
        fpeer = n3.add_p2p_connection(InvRecorder())
        fpeer.send_and_ping(msg_feefilter(50000))
        cheap = self.spend(4, 1100)     # about 10 sat/vB
        dear = self.spend(5, 100000)    # about 900 sat/vB
        assert cheap.weight() < 4 * 120 and dear.weight() < 4 * 120
        n0.rpc.sendrawtransaction(cheap.serialize().hex())
        wait_until(lambda: wpeer.has_inv(CInv(MSG_WTX, cheap.wtxid_int)), what="cheap inv")
        n0.rpc.sendrawtransaction(dear.serialize().hex())
        wait_until(lambda: fpeer.has_inv(CInv(MSG_WTX, dear.wtxid_int)), what="dear inv")
        assert not fpeer.has_inv(CInv(MSG_WTX, cheap.wtxid_int))
        self.sync_mempools()

        self.log("a block takes them out of every mempool")
        n0.rpc.generatetoaddress(1, ADDR)
        self.sync_blocks()
        self.sync_mempools()
        assert_equal(n3.rpc.getrawmempool(), [])
        assert_equal(n3.rpc.getmempoolinfo()["size"], 0)


if __name__ == "__main__":
    run(TxRelayTest)
