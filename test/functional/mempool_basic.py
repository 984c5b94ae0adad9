#!/usr/bin/env python3
"""Mempool methods on a regtest node: sendrawtransaction, testmempoolaccept,
getrawmempool, getmempoolentry, getmempoolinfo, getmempoolancestors/descendants, with
transactions built and signed by independent Python code (P2WPKH, BIP143), a block
taking them out of the pool, replace-by-fee, and a reorg putting a transaction back."""
from test_framework.iop_tx import (
    amount_sat, mine_coinbase, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh)
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in, assert_raises_rpc_error

KEY = 1
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)
OTHER_SPK = p2wpkh_script(pubkey(2))


class MempoolBasicTest(IopTestFramework):
    def run_test(self):
        rpc = self.nodes[0].rpc
        info = rpc.getmempoolinfo()
        assert_equal(info["loaded"], True)
        assert_equal(info["size"], 0)
        assert_equal(info["bytes"], 0)
        assert_equal(info["total_fee"], 0)
        assert_equal(info["fullrbf"], True)
        assert_equal(amount_sat(info["minrelaytxfee"]), 1000)
        assert_equal(rpc.getrawmempool(), [])
        assert_equal(rpc.getrawmempool(True), {})

        self.log("mine coins and make them mature")
        coins = [mine_coinbase(rpc, ADDR) for _ in range(4)]
        assert_equal(len(rpc.generatetoaddress(100, ADDR)), 100)

        self.log("sendrawtransaction and the pool queries")
        _, cb0, v0 = coins[0]
        fee = 5000
        tx1 = spend_p2wpkh(cb0, 0, v0, KEY, [(v0 - fee, SPK)])
        txid1 = rpc.sendrawtransaction(tx1.hex())
        assert_equal(txid1, tx1.txid())
        assert_equal(rpc.sendrawtransaction(tx1.hex()), txid1)  # already in the pool: ok
        assert_equal(rpc.getrawmempool(), [txid1])
        entry = rpc.getmempoolentry(txid1)
        assert_equal(entry["vsize"], tx1.vsize())
        assert_equal(entry["weight"], 3 * len(tx1.serialize(False)) + len(tx1.serialize()))
        assert_equal(entry["height"], 104)
        assert_equal(amount_sat(entry["fees"]["base"]), fee)
        assert_equal(amount_sat(entry["fees"]["modified"]), fee)
        assert_equal(amount_sat(entry["fees"]["ancestor"]), fee)
        assert_equal(entry["ancestorcount"], 1)
        assert_equal(entry["descendantcount"], 1)
        assert_equal(entry["depends"], [])
        assert_equal(entry["spentby"], [])
        assert_equal(entry["bip125-replaceable"], True)
        assert_equal(entry["unbroadcast"], False)
        assert_equal(rpc.getrawmempool(True), {txid1: entry})
        info = rpc.getmempoolinfo()
        assert_equal(info["size"], 1)
        assert_equal(info["bytes"], tx1.vsize())
        assert_equal(amount_sat(info["total_fee"]), fee)
        assert info["usage"] > 0

        self.log("a child: ancestors and descendants")
        tx2 = spend_p2wpkh(txid1, 0, v0 - fee, KEY, [(v0 - 2 * fee, SPK)], sequence=0xffffffff)
        txid2 = rpc.sendrawtransaction(tx2.hex())
        assert_equal(rpc.getmempoolancestors(txid2), [txid1])
        assert_equal(rpc.getmempooldescendants(txid1), [txid2])
        assert_equal(rpc.getmempoolancestors(txid1), [])
        assert_equal(list(rpc.getmempoolancestors(txid2, True).keys()), [txid1])
        assert_equal(list(rpc.getmempooldescendants(txid1, True).keys()), [txid2])
        e2 = rpc.getmempoolentry(txid2)
        assert_equal(e2["depends"], [txid1])
        assert_equal(e2["ancestorcount"], 2)
        assert_equal(e2["bip125-replaceable"], True)  # through its parent
        assert_equal(rpc.getmempoolentry(txid1)["spentby"], [txid2])
        assert_equal(sorted(rpc.getrawmempool()), sorted([txid1, txid2]))
        assert_raises_rpc_error(-5, "Transaction not in mempool", rpc.getmempoolentry, "00" * 32)
        assert_raises_rpc_error(-5, "Transaction not in mempool", rpc.getmempoolancestors,
                                "00" * 32)
        assert_raises_rpc_error(-8, "must be of length 64", rpc.getmempoolentry, "00")
        assert_raises_rpc_error(-8, "must be hexadecimal", rpc.getmempoolentry, "zz" * 32)
        assert_raises_rpc_error(-8, "Verbose results cannot contain mempool sequence values.",
                                rpc.getrawmempool, True, True)

        self.log("testmempoolaccept")
        _, cb1, v1 = coins[1]
        tx3 = spend_p2wpkh(cb1, 0, v1, KEY, [(v1 - 3000, OTHER_SPK)])
        res = rpc.testmempoolaccept([tx3.hex()])
        assert_equal(len(res), 1)
        r = res[0]
        assert_equal(r["txid"], tx3.txid())
        assert_equal(r["allowed"], True)
        assert_equal(r["vsize"], tx3.vsize())
        assert_equal(amount_sat(r["fees"]["base"]), 3000)
        assert_equal(amount_sat(r["fees"]["effective-feerate"]), 3000 * 1000 // tx3.vsize())
        assert_equal(len(r["fees"]["effective-includes"]), 1)
        assert_equal(rpc.getmempoolinfo()["size"], 2)  # nothing added
        # maxfeerate: 3000 sat over ~110 vB is ~27 sat/vB = 0.00027 IOP/kvB.
        r = rpc.testmempoolaccept([tx3.hex()], 0.0001)[0]
        assert_equal(r["allowed"], False)
        assert_equal(r["reject-reason"], "max-fee-exceeded")
        assert_equal(rpc.testmempoolaccept([tx3.hex()], 0)[0]["allowed"], True)
        assert_raises_rpc_error(-8, "Fee rates larger than or equal to 1BTC/kvB",
                                rpc.testmempoolaccept, [tx3.hex()], 1)
        assert_raises_rpc_error(-3, "Amount out of range", rpc.testmempoolaccept,
                                [tx3.hex()], -1)
        assert_raises_rpc_error(-22, "TX decode failed", rpc.testmempoolaccept, ["00zz"])
        assert_raises_rpc_error(-8, "Array must contain between 1 and 25 transactions.",
                                rpc.testmempoolaccept, [])
        missing = spend_p2wpkh("44" * 32, 0, 100000, KEY, [(90000, SPK)])
        r = rpc.testmempoolaccept([missing.hex()])[0]
        assert_equal(r["allowed"], False)
        assert_equal(r["reject-reason"], "missing-inputs")
        assert "reject-details" not in r
        # Already in the pool.
        r = rpc.testmempoolaccept([tx1.hex()])[0]
        assert_equal(r["allowed"], False)
        assert_equal(r["reject-reason"], "txn-already-in-mempool")
        # Two independent transactions.
        _, cb2, v2 = coins[2]
        tx4 = spend_p2wpkh(cb2, 0, v2, KEY, [(v2 - 4000, SPK)])
        res = rpc.testmempoolaccept([tx3.hex(), tx4.hex()])
        assert_equal([x["allowed"] for x in res], [True, True])

        self.log("sendrawtransaction errors")
        assert_raises_rpc_error(-22, "TX decode failed. Make sure the tx has at least one input.",
                                rpc.sendrawtransaction, "00zz")
        assert_raises_rpc_error(-25, "bad-txns-inputs-missingorspent", rpc.sendrawtransaction,
                                missing.hex())
        big_fee = spend_p2wpkh(cb1, 0, v1, KEY, [(v1 // 2, SPK)])
        assert_raises_rpc_error(-25, "Fee exceeds maximum configured by user",
                                rpc.sendrawtransaction, big_fee.hex())
        burn = spend_p2wpkh(cb1, 0, v1, KEY, [(v1 - 10000, SPK), (1000, b"\x6a\x01\x01")])
        assert_raises_rpc_error(-25, "Unspendable output exceeds maximum configured by user",
                                rpc.sendrawtransaction, burn.hex())
        bad_sig = spend_p2wpkh(cb1, 0, v1 + 1, KEY, [(v1 - 10000, SPK)])  # signs the wrong amount
        assert_raises_rpc_error(-26, "mandatory-script-verify-flag-failed",
                                rpc.sendrawtransaction, bad_sig.hex())
        assert_equal(rpc.sendrawtransaction(tx3.hex(), 0), tx3.txid())

        self.log("replace-by-fee")
        low = spend_p2wpkh(cb0, 0, v0, KEY, [(v0 - fee - 1, SPK)])
        assert_raises_rpc_error(-26, "insufficient fee", rpc.sendrawtransaction, low.hex())
        # Pays more than tx1 and tx2 together plus relay fee for its own size.
        tx1b = spend_p2wpkh(cb0, 0, v0, KEY, [(v0 - 50000, OTHER_SPK)])
        r = rpc.testmempoolaccept([tx1b.hex()])[0]
        assert_equal(r["allowed"], True)
        txid1b = rpc.sendrawtransaction(tx1b.hex())
        pool = rpc.getrawmempool()
        assert_in(txid1b, pool)
        assert txid1 not in pool and txid2 not in pool
        assert_equal(sorted(pool), sorted([txid1b, tx3.txid()]))

        self.log("a block takes the transactions out of the pool")
        rpc.generatetoaddress(1, ADDR)
        assert_equal(rpc.getrawmempool(), [])
        assert_equal(rpc.getmempoolinfo()["size"], 0)
        assert_raises_rpc_error(-27, "Transaction outputs already in utxo set",
                                rpc.sendrawtransaction, tx1b.hex())
        r = rpc.testmempoolaccept([tx1b.hex()])[0]
        assert_equal(r["allowed"], False)
        assert_equal(r["reject-reason"], "txn-already-known")
        # Its input is spent now: a conflicting spend has missing inputs.
        assert_raises_rpc_error(-25, "bad-txns-inputs-missingorspent", rpc.sendrawtransaction,
                                tx1.hex())

        self.log("reorg: invalidateblock brings the transactions back")
        if "invalidateblock" not in rpc.help():
            self.log("skipped: invalidateblock is not available yet")
            return
        tip = rpc.getbestblockhash()
        rpc.invalidateblock(tip)
        assert_equal(sorted(rpc.getrawmempool()), sorted([txid1b, tx3.txid()]))
        rpc.reconsiderblock(tip)
        assert_equal(rpc.getbestblockhash(), tip)
        assert_equal(rpc.getrawmempool(), [])


if __name__ == "__main__":
    run(MempoolBasicTest)
