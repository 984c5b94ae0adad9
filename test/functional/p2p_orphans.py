#!/usr/bin/env python3
"""The orphan pool: a child sent before its parent is kept, the node asks the sender for
the missing parent by txid, and once the parent arrives both enter the mempool and are
announced. A child whose parent never comes does not enter the mempool; the sender
disconnecting forgets its orphans. An invalid transaction (bad signature) is
misbehaviour and is not asked for again by another peer."""
from test_framework.iop_tx import amount_sat, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh
from test_framework.messages import CTransaction, msg_tx
from test_framework.p2p import P2PInterface
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until

KEY = 31
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)


class OrphanTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.p2p = True

    def coinbase(self, height):
        rpc = self.nodes[0].rpc
        txid = rpc.getblock(rpc.getblockhash(height), 2)["tx"][0]["txid"]
        return txid, amount_sat(rpc.gettxout(txid, 0)["value"])

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc
        rpc.generatetoaddress(110, ADDR)

        txid, value = self.coinbase(1)
        parent = CTransaction.from_iop_tx(spend_p2wpkh(txid, 0, value, KEY, [(value - 10000, SPK)]))
        child = CTransaction.from_iop_tx(
            spend_p2wpkh(parent.txid, 0, value - 10000, KEY, [(value - 20000, SPK)]))

        self.log("a child without its parent: kept aside, the parent is asked for")
        peer = node.add_p2p_connection(P2PInterface())
        peer.send_and_ping(msg_tx(child))
        assert child.txid not in rpc.getrawmempool()
        peer.wait_for_getdata([parent.txid])

        self.log("the parent arrives: both enter the mempool")
        peer.send_and_ping(msg_tx(parent))
        wait_until(lambda: set(rpc.getrawmempool()) == {parent.txid, child.txid},
                   what="parent and child in the mempool")

        self.log("an orphan whose sender leaves is forgotten")
        txid2, value2 = self.coinbase(2)
        parent2 = CTransaction.from_iop_tx(spend_p2wpkh(txid2, 0, value2, KEY, [(value2 - 10000, SPK)]))
        child2 = CTransaction.from_iop_tx(
            spend_p2wpkh(parent2.txid, 0, value2 - 10000, KEY, [(value2 - 20000, SPK)]))
        leaver = node.add_p2p_connection(P2PInterface())
        leaver.send_and_ping(msg_tx(child2))
        leaver.peer_disconnect()
        leaver.wait_for_disconnect()
        wait_until(lambda: len(rpc.getpeerinfo()) == 1, what="leaver gone")
        # The parent now comes from someone else: the child is not resurrected.
        peer.send_and_ping(msg_tx(parent2))
        wait_until(lambda: parent2.txid in rpc.getrawmempool(), what="parent2 accepted")
        assert child2.txid not in rpc.getrawmempool()

        self.log("a transaction with a bad signature is misbehaviour")
        txid3, value3 = self.coinbase(3)
        bad = CTransaction.from_iop_tx(spend_p2wpkh(txid3, 0, value3, KEY + 1, [(value3 - 10000, SPK)]))
        liar = node.add_p2p_connection(P2PInterface())
        liar.send_message(msg_tx(bad))
        liar.wait_for_disconnect()
        assert bad.txid not in rpc.getrawmempool()
        assert_equal(len(rpc.getpeerinfo()), 1)


if __name__ == "__main__":
    run(OrphanTest)
