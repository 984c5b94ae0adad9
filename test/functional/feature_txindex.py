#!/usr/bin/env python3
"""-txindex and getrawtransaction: the mempool, the index (built in the background for
blocks mined before it was switched on, kept in step as blocks connect), an explicit
block hash, verbosity 0/1/2, the index surviving a restart, and a reorg through
invalidateblock."""
from test_framework.iop_tx import (
    amount_sat, mine_coinbase, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh)
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until

KEY = 1
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)
ADDR2 = p2wpkh_address(pubkey(2))  # a different coinbase, so a different block

NO_INDEX = ("No such mempool transaction. Use -txindex or provide a block hash to enable "
            "blockchain transaction queries. Use gettransaction for wallet transactions.")
NOT_FOUND = ("No such mempool or blockchain transaction. Use gettransaction for wallet "
             "transactions.")


class TxIndexTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def wait_indexed(self, rpc, txid):
        def found():
            try:
                rpc.getrawtransaction(txid)
                return True
            except Exception:
                return False
        wait_until(found, timeout=60, what="txindex to catch up")

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc
        self.log("mine without -txindex")
        bh0, cb0, v0 = mine_coinbase(rpc, ADDR)
        rpc.generatetoaddress(100, ADDR)

        fee = 10000
        tx1 = spend_p2wpkh(cb0, 0, v0, KEY, [(v0 - fee, SPK)])
        txid1 = rpc.sendrawtransaction(tx1.hex())

        self.log("a mempool transaction is found without -txindex")
        assert_equal(rpc.getrawtransaction(txid1), tx1.hex())
        d = rpc.getrawtransaction(txid1, 1)
        assert_equal(d["txid"], txid1)
        assert_equal(d["hex"], tx1.hex())
        assert "blockhash" not in d and "confirmations" not in d
        assert "fee" not in rpc.getrawtransaction(txid1, 2)

        self.log("confirmed: only with the block hash")
        bh1 = rpc.generatetoaddress(1, ADDR)[0]
        assert_raises_rpc_error(-5, NO_INDEX, rpc.getrawtransaction, txid1)
        assert_equal(rpc.getrawtransaction(txid1, 0, bh1), tx1.hex())
        d = rpc.getrawtransaction(txid1, True, bh1)
        assert_equal(list(d.keys())[0], "in_active_chain")
        assert_equal(d["in_active_chain"], True)
        assert_equal(d["blockhash"], bh1)
        assert_equal(d["confirmations"], 1)
        blk = rpc.getblock(bh1)
        assert_equal(d["time"], blk["time"])
        assert_equal(d["blocktime"], blk["time"])
        d2 = rpc.getrawtransaction(txid1, 2, bh1)
        assert_equal(amount_sat(d2["fee"]), fee)
        prev = d2["vin"][0]["prevout"]
        assert_equal(prev["generated"], True)
        assert_equal(prev["height"], 1)
        assert_equal(amount_sat(prev["value"]), v0)
        assert_equal(prev["scriptPubKey"]["hex"], SPK.hex())
        assert_equal(list(d2["vin"][0].keys())[-2:], ["prevout", "sequence"])
        assert_raises_rpc_error(-5, "No such transaction found in the provided block",
                                rpc.getrawtransaction, txid1, 0, bh0)
        assert_raises_rpc_error(-5, "Block hash not found", rpc.getrawtransaction, txid1, 0,
                                "00" * 32)
        assert_raises_rpc_error(-5, "genesis block coinbase", rpc.getrawtransaction,
                                rpc.getblock(rpc.getblockhash(0))["tx"][0])
        assert_raises_rpc_error(-8, "must be of length 64", rpc.getrawtransaction, "00")

        self.log("restart with -txindex: the blocks mined before are indexed")
        node.stop()
        node.start(["-txindex"])
        rpc = node.rpc
        self.wait_indexed(rpc, txid1)
        assert_equal(rpc.getrawtransaction(txid1), tx1.hex())
        assert_equal(rpc.getrawtransaction(cb0, 1)["blockhash"], bh0)
        d = rpc.getrawtransaction(txid1, 1)
        assert "in_active_chain" not in d
        assert_equal(d["blockhash"], bh1)
        assert_equal(d["confirmations"], 1)
        assert_equal(amount_sat(rpc.getrawtransaction(txid1, 2)["fee"]), fee)
        assert_raises_rpc_error(-5, NOT_FOUND, rpc.getrawtransaction, "11" * 32)

        self.log("blocks connected later are indexed as they arrive")
        tx2 = spend_p2wpkh(txid1, 0, v0 - fee, KEY, [(v0 - 2 * fee, SPK)])
        txid2 = rpc.sendrawtransaction(tx2.hex())
        bh2 = rpc.generatetoaddress(1, ADDR)[0]
        d = rpc.getrawtransaction(txid2, 1)
        assert_equal(d["blockhash"], bh2)
        assert_equal(d["confirmations"], 1)
        assert_equal(rpc.getrawtransaction(txid1, 1)["confirmations"], 2)

        self.log("after a restart the index is still there")
        node.stop()
        node.start(["-txindex"])
        rpc = node.rpc
        self.wait_indexed(rpc, txid2)
        assert_equal(rpc.getrawtransaction(txid2, 1)["blockhash"], bh2)
        assert_equal(rpc.getrawtransaction(txid1, 1)["blockhash"], bh1)

        self.log("reorg: tx2 goes back to the mempool, then into another block")
        rpc.invalidateblock(bh2)
        d = rpc.getrawtransaction(txid2, 1)  # from the mempool again
        assert "blockhash" not in d
        d = rpc.getrawtransaction(txid2, 1, bh2)
        assert_equal(d["in_active_chain"], False)
        assert_equal(d["confirmations"], 0)
        bh3 = rpc.generatetoaddress(1, ADDR2)[0]
        assert bh3 != bh2
        d = rpc.getrawtransaction(txid2, 1)
        assert_equal(d["blockhash"], bh3)
        assert_equal(d["confirmations"], 1)
        assert_equal(rpc.getrawtransaction(txid2, 1, bh3)["in_active_chain"], True)

        self.log("without -txindex again: the index is not consulted")
        node.stop()
        node.start([])
        rpc = node.rpc
        assert_raises_rpc_error(-5, NO_INDEX, rpc.getrawtransaction, txid2)
        assert_equal(rpc.getrawtransaction(txid2, 0, bh3), tx2.hex())
        tx3 = spend_p2wpkh(txid2, 0, v0 - 2 * fee, KEY, [(v0 - 3 * fee, SPK)])
        txid3 = rpc.sendrawtransaction(tx3.hex())
        bh4 = rpc.generatetoaddress(1, ADDR)[0]

        self.log("-txindex again: it catches up with the blocks mined meanwhile")
        node.stop()
        node.start(["-txindex"])
        rpc = node.rpc
        self.wait_indexed(rpc, txid3)
        assert_equal(rpc.getrawtransaction(txid3, 1)["blockhash"], bh4)
        assert_equal(rpc.getrawtransaction(txid2, 1)["blockhash"], bh3)

        self.log("-reindex rebuilds the index with the chain")
        node.stop()
        node.start(["-txindex", "-reindex"])
        rpc = node.rpc
        wait_until(lambda: rpc.getblockcount() == 104, timeout=60, what="reindex")
        self.wait_indexed(rpc, txid3)
        assert_equal(rpc.getrawtransaction(txid1, 1)["blockhash"], bh1)
        assert_equal(rpc.getrawtransaction(txid3, 1)["confirmations"], 1)


if __name__ == "__main__":
    run(TxIndexTest)
