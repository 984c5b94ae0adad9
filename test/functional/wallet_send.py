#!/usr/bin/env python3
"""The sending half of the wallet over RPC, on two nodes (in the spirit of Core's
wallet_basic): sendtoaddress from node 0's wallet to node 1's with balances exact to the
satoshi (fee = inputs - outputs, as gettransaction reports it) and change at a change
address; subtractfeefromamount; sendmany to three address types; an exact-match send
with no change (Branch and Bound); send; bumpfee replacing the transaction in both
mempools; abandontransaction of a transaction never relayed (-walletbroadcast=0);
lockunspent (also persistent across a restart); settxfee; the error codes (-6 insufficient
funds, -5, -3, -8, -13 locked wallet, then sending after walletpassphrase); kill -9 right
after a send keeping the transaction and its change.

Skips (exit 77) when the daemon does not have sendtoaddress yet."""
import signal
from decimal import Decimal

from test_framework.authproxy import JSONRPCException
from test_framework.iop_tx import amount_sat, p2wpkh_address, pubkey
from test_framework.node import daemon_knows
from test_framework.test_framework import IopTestFramework, SkipTest, run
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until

KEY = 43  # the miner's key: its coins belong to no wallet
FALLBACK = "-fallbackfee=0.0002"  # 20 sat/vB
COIN = 10**8


def btc(sat):
    return "%d.%08d" % (sat // COIN, sat % COIN)


class WalletSendTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.p2p = True
        self.extra_args = [[FALLBACK], [FALLBACK]]

    def skip_if_no_p2p(self):
        super().skip_if_no_p2p()
        # Before the nodes start: without the sending half iopd refuses -fallbackfee.
        if self.nodes and not self.nodes[0].process and \
                not daemon_knows(self.nodes[0].iopd, "-fallbackfee"):
            raise SkipTest("wallet sending (sendtoaddress, -fallbackfee) not wired into iopd yet")

    def mine(self, n=1):
        self.sync_mempools()
        self.nodes[1].rpc.generatetoaddress(n, p2wpkh_address(pubkey(KEY)))
        self.sync_blocks()

    def tx_fee_checks(self, w, txid, rate_sat_vb=20):
        """The wallet's fee is inputs - outputs and matches the rate for the size."""
        t = w.gettransaction(txid, False, True)
        fee = -amount_sat(t["fee"])
        ins = 0
        for vin in t["decoded"]["vin"]:
            prev = w.gettransaction(vin["txid"], False, True)["decoded"]["vout"][vin["vout"]]
            ins += amount_sat(prev["value"])
        outs = sum(amount_sat(o["value"]) for o in t["decoded"]["vout"])
        assert_equal(fee, ins - outs)
        vsize = t["decoded"]["vsize"]
        # Sized with 72-byte signatures before signing: at most a few vbytes over.
        assert rate_sat_vb * vsize <= fee <= rate_sat_vb * (vsize + 3), (fee, vsize)
        return t, fee

    def run_test(self):
        n0, n1 = self.nodes
        try:
            n0.rpc.sendtoaddress("x", 1)
        except JSONRPCException as e:
            if e.error.get("code") == -32601:
                raise SkipTest("sendtoaddress not wired into iopd yet")
        self.connect_nodes(1, 0)
        n0.rpc.createwallet("w0")
        n1.rpc.createwallet("w1")
        w0 = n0.proxy(path="/wallet/w0")
        w1 = n1.proxy(path="/wallet/w1")

        self.log("three mature coinbases of 10 IOP for w0")
        a0 = w0.getnewaddress()
        n0.rpc.generatetoaddress(3, a0)
        self.sync_blocks()
        self.mine(100)
        assert_equal(amount_sat(w0.getbalance()), 30 * COIN)

        self.log("errors: address, amount, fee arguments, insufficient funds")
        to = w1.getnewaddress()
        assert_raises_rpc_error(-5, "Invalid IoP address: nope", w0.sendtoaddress, "nope", 1)
        assert_raises_rpc_error(-3, "Invalid amount for send", w0.sendtoaddress, to, 0)
        assert_raises_rpc_error(-3, "Amount out of range", w0.sendtoaddress, to, -1)
        assert_raises_rpc_error(-8, "Cannot specify both conf_target and fee_rate",
                                w0.sendtoaddress, to, 1, "", "", False, True, 6, None, None, 10)
        assert_raises_rpc_error(-8, "Invalid estimate_mode parameter", w0.sendtoaddress, to, 1,
                                "", "", False, True, 6, "foo")
        assert_raises_rpc_error(-6, "Fee rate (0.999 sat/vB) is lower than the minimum fee rate "
                                "setting (1.000 sat/vB)", w0.sendtoaddress, to, 1, "", "", False,
                                True, None, None, None, "0.999")
        assert_raises_rpc_error(-6, "Insufficient funds", w0.sendtoaddress, to, 31)
        assert_raises_rpc_error(-6, "Transaction amount too small", w0.sendtoaddress, to,
                                "0.00000100")
        assert_raises_rpc_error(-8, "Dummy value must be set to \"\"", w0.sendmany, "x", {to: 1})
        n0.rpc.createwallet("watchonly", True)
        assert_raises_rpc_error(-4, "Error: Private keys are disabled for this wallet",
                                n0.proxy(path="/wallet/watchonly").sendtoaddress, to, 1)
        n0.rpc.unloadwallet("watchonly")

        self.log("sendtoaddress: exact balances, fee = inputs - outputs, change address")
        txid = w0.sendtoaddress(to, "1.5")
        t, fee = self.tx_fee_checks(w0, txid)
        assert_equal(amount_sat(t["amount"]), -150000000)
        assert_equal(t["bip125-replaceable"], "yes")
        vouts = t["decoded"]["vout"]
        assert_equal(len(vouts), 2)
        change = [o for o in vouts if o["scriptPubKey"].get("address") != to][0]
        info = w0.getaddressinfo(change["scriptPubKey"]["address"])
        assert_equal(info["ischange"], True)
        assert_equal(info["ismine"], True)
        assert_equal(amount_sat(change["value"]), 10 * COIN - 150000000 - fee)
        assert all(vin["sequence"] == 0xfffffffd for vin in t["decoded"]["vin"])
        assert_equal(amount_sat(w0.getbalance()), 30 * COIN - 150000000 - fee)
        self.sync_mempools()
        assert_equal(amount_sat(w1.getbalances()["mine"]["untrusted_pending"]), 150000000)
        verbose = w0.sendtoaddress(to, "0.1", "", "", False, True, None, None, None, None, True)
        assert_equal(verbose["fee_reason"], "Fallback fee")
        _, fee2 = self.tx_fee_checks(w0, verbose["txid"])
        self.mine()
        assert_equal(amount_sat(w1.getbalance()), 160000000)
        assert_equal(amount_sat(w0.getbalance()), 30 * COIN - 160000000 - fee - fee2)
        assert_equal(w0.gettransaction(txid)["confirmations"], 1)
        expected0 = amount_sat(w0.getbalance())

        self.log("subtractfeefromamount: the recipient pays the fee")
        txid = w0.sendtoaddress(to, 2, "", "", True)
        t, fee = self.tx_fee_checks(w0, txid)
        self.sync_mempools()
        assert_equal(amount_sat(w1.gettransaction(txid)["amount"]), 2 * COIN - fee)
        assert_equal(amount_sat(w0.getbalance()), expected0 - 2 * COIN)
        expected0 -= 2 * COIN
        expected1 = 160000000 + 2 * COIN - fee

        self.log("sendmany to a bech32, a legacy and a bech32m address")
        dests = {w1.getnewaddress("", "bech32"): "0.11", w1.getnewaddress("", "legacy"): "0.22",
                 w1.getnewaddress("", "bech32m"): "0.33"}
        txid = w0.sendmany("", dests)
        t, fee = self.tx_fee_checks(w0, txid)
        assert_equal(len(t["decoded"]["vout"]), 4)
        got = {o["scriptPubKey"]["address"]: amount_sat(o["value"]) for o in t["decoded"]["vout"]}
        for a, v in dests.items():
            assert_equal(got[a], amount_sat(Decimal(v)))
        expected0 -= 66000000 + fee
        expected1 += 66000000
        assert_equal(amount_sat(w0.getbalance()), expected0)
        self.mine()
        assert_equal(amount_sat(w1.getbalance()), expected1)

        self.log("spending P2WPKH, P2PKH and P2TR coins back (send with preset inputs)")
        ins = [{"txid": txid, "vout": o["n"]} for o in t["decoded"]["vout"]
               if o["scriptPubKey"]["address"] in dests]
        assert_equal(len(ins), 3)
        r = w1.send([{w0.getnewaddress(): "0.66"}], None, "unset", None,
                    {"inputs": ins, "add_inputs": False, "subtract_fee_from_outputs": [0]})
        back = r["txid"]
        t, fee = self.tx_fee_checks(w1, back)
        assert_equal(len(t["decoded"]["vin"]), 3)
        assert_equal(len(t["decoded"]["vout"]), 1)
        expected1 -= 66000000
        expected0 += 66000000 - fee
        self.mine()
        assert_equal(amount_sat(w1.getbalance()), expected1)
        assert_equal(amount_sat(w0.getbalance()), expected0)

        self.log("exact match: coins of 0.3 and 0.5 pay 0.8 minus two inputs' and the rest's "
                 "fees at 20 sat/vB with no change")
        n0.rpc.createwallet("exact")
        ex = n0.proxy(path="/wallet/exact")
        w0.sendmany("", {ex.getnewaddress(): "0.3", ex.getnewaddress(): "0.5",
                         ex.getnewaddress(): "1.0"})
        self.mine()
        expected0 = amount_sat(w0.getbalance())
        # P2WPKH input 68 vB = 1,360 sat each; version, counts, locktime, witness flag
        # (10 vB) and one P2WPKH output (31 vB) = 41 vB... Core counts 10 + 1 + 31 = 42 vB
        # = 840 sat. The two coins' effective values then sum to exactly the target.
        amount = 80000000 - 2 * 1360 - 840
        dest = w1.getnewaddress()
        txid = ex.sendtoaddress(dest, btc(amount), "", "", False, True, None, None, None, 20)
        t = ex.gettransaction(txid, False, True)
        assert_equal(len(t["decoded"]["vout"]), 1)
        assert_equal(len(t["decoded"]["vin"]), 2)
        assert_equal(-amount_sat(t["fee"]), 80000000 - amount)
        assert_equal(amount_sat(ex.getbalance()), COIN)
        expected1 += amount
        self.mine()
        assert_equal(amount_sat(w1.getbalance()), expected1)

        self.log("send: outputs array, fee_rate in sat/vB; psbt=true")
        r = w0.send([{w1.getnewaddress(): "0.25"}], None, "unset", 5)
        assert_equal(r["complete"], True)
        t, fee = self.tx_fee_checks(w0, r["txid"], 5)
        expected0 -= 25000000 + fee
        expected1 += 25000000
        r = w0.send([{w1.getnewaddress(): "0.01"}], None, "unset", 5,
                    {"change_type": "legacy", "change_position": 1})
        t, fee = self.tx_fee_checks(w0, r["txid"], 5)
        assert_equal(t["decoded"]["vout"][1]["scriptPubKey"]["type"], "pubkeyhash")
        expected0 -= 1000000 + fee
        expected1 += 1000000
        assert_raises_rpc_error(-5, "Unknown change type 'p2sh-segwit'", w0.send,
                                [{w1.getnewaddress(): 1}], None, "unset", None,
                                {"change_type": "p2sh-segwit"})
        r = w0.send([{w1.getnewaddress(): 1}], None, "unset", None, {"psbt": True})
        assert_equal(r["complete"], True)
        assert "psbt" in r and "hex" in r  # returned, not broadcast
        assert_raises_rpc_error(-4, "Insufficient funds", w0.send, [{w1.getnewaddress(): 100}])
        self.mine()
        assert_equal(amount_sat(w0.getbalance()), expected0)

        self.log("bumpfee replaces the transaction in both mempools with a higher fee")
        txid = w0.sendtoaddress(w1.getnewaddress(), "0.5")
        self.sync_mempools()
        assert txid in n1.rpc.getrawmempool()
        _, oldfee = self.tx_fee_checks(w0, txid)
        bumped = w0.bumpfee(txid)
        assert_equal(amount_sat(bumped["origfee"]), oldfee)
        assert amount_sat(bumped["fee"]) > oldfee
        new = bumped["txid"]
        self.sync_mempools()
        for n in (n0, n1):
            pool = n.rpc.getrawmempool()
            assert new in pool and txid not in pool, pool
        _, newfee = self.tx_fee_checks(w0, new, 21)
        assert_equal(newfee, amount_sat(bumped["fee"]))
        assert_raises_rpc_error(-5, "Invalid or non-wallet transaction id", w0.bumpfee, "00" * 32)
        assert_raises_rpc_error(-8, "Insufficient total fee", w0.bumpfee, new, {"fee_rate": 1})
        assert_raises_rpc_error(-4, "Cannot bump transaction %s which was already bumped by "
                                "transaction %s" % (txid, new), w0.bumpfee, txid)
        # The replacement pays from the change: same recipient, same amount.
        paid = [o for o in w0.gettransaction(new, False, True)["decoded"]["vout"]
                if not w0.getaddressinfo(o["scriptPubKey"]["address"])["ismine"]]
        assert_equal([amount_sat(o["value"]) for o in paid], [50000000])
        expected0 -= 50000000 + newfee
        expected1 += 50000000
        assert_equal(amount_sat(w0.getbalance()), expected0)
        self.mine()
        assert_equal(w0.gettransaction(new)["confirmations"], 1)
        assert w0.gettransaction(txid)["confirmations"] < 0  # conflicted by the bump
        assert_raises_rpc_error(-4, "Transaction has been mined", w0.bumpfee, new)
        assert_equal(amount_sat(w0.getbalance()), expected0)
        assert_equal(amount_sat(w1.getbalance()), expected1)

        self.log("settxfee sets this wallet's rate")
        assert_raises_rpc_error(-8, "txfee cannot be less than min relay tx fee", w0.settxfee,
                                "0.000001")
        assert_equal(w0.settxfee("0.0005"), True)
        assert_equal(amount_sat(w0.getwalletinfo()["paytxfee"]), 50000)
        txid = w0.sendtoaddress(w1.getnewaddress(), "0.1")
        _, fee = self.tx_fee_checks(w0, txid, 50)
        expected0 -= 10000000 + fee
        expected1 += 10000000
        w0.settxfee(0)

        self.log("replaceable=false: final-but-one sequence, bumpfee refuses")
        txid = w0.sendtoaddress(w1.getnewaddress(), "0.1", "", "", False, False)
        t, fee = self.tx_fee_checks(w0, txid)
        assert all(vin["sequence"] == 0xfffffffe for vin in t["decoded"]["vin"])
        assert_equal(t["bip125-replaceable"], "no")
        assert_raises_rpc_error(-4, "Transaction is not BIP 125 replaceable", w0.bumpfee, txid)
        expected0 -= 10000000 + fee
        expected1 += 10000000
        self.mine()

        self.log("lockunspent: locked coins are not spent")
        coins = w0.listunspent()
        total = sum(amount_sat(c["amount"]) for c in coins)
        assert_equal(total, expected0)
        locks = [{"txid": c["txid"], "vout": c["vout"]} for c in coins]
        assert_equal(w0.lockunspent(False, locks[:1], True), True)  # persistent
        assert_equal(w0.lockunspent(False, locks[1:]), True)
        assert_raises_rpc_error(-8, "Invalid parameter, output already locked", w0.lockunspent,
                                False, locks[1:2])
        assert_raises_rpc_error(-8, "Invalid parameter, unknown transaction", w0.lockunspent,
                                False, [{"txid": "00" * 32, "vout": 0}])
        assert_raises_rpc_error(-8, "Invalid parameter, vout index out of bounds",
                                w0.lockunspent, False, [{"txid": locks[0]["txid"], "vout": 99}])
        assert_equal(sorted((l["txid"], l["vout"]) for l in w0.listlockunspent()),
                     sorted((l["txid"], l["vout"]) for l in locks))
        assert_equal(w0.listunspent(), [])
        assert_raises_rpc_error(-6, "Insufficient funds", w0.sendtoaddress, to, "0.01")
        assert_equal(w0.lockunspent(True, locks[1:]), True)
        assert_raises_rpc_error(-8, "Invalid parameter, expected locked output", w0.lockunspent,
                                True, locks[1:2])
        assert_equal(len(w0.listlockunspent()), 1)

        self.log("abandontransaction: a transaction never relayed (-walletbroadcast=0)")
        n0.stop()
        n0.start([FALLBACK, "-wallet=w0", "-wallet=exact", "-walletbroadcast=0"])
        self.connect_nodes(1, 0)
        w0 = n0.proxy(path="/wallet/w0")
        assert_equal(len(w0.listlockunspent()), 1)  # the persistent lock survived
        before = amount_sat(w0.getbalance())
        txid = w0.sendtoaddress(w1.getnewaddress(), "0.2")
        assert txid not in n0.rpc.getrawmempool()
        assert_equal(w0.gettransaction(txid)["trusted"], False)
        assert amount_sat(w0.getbalance()) < before
        confirmed = w0.listtransactions()[0]["txid"]
        assert_raises_rpc_error(-5, "Invalid or non-wallet transaction id",
                                w0.abandontransaction, "11" * 32)
        w0.abandontransaction(txid)
        assert_equal(amount_sat(w0.getbalance()), before)
        assert [d for d in w0.gettransaction(txid)["details"] if d["category"] == "send"][0][
            "abandoned"]
        if w0.gettransaction(confirmed)["confirmations"] > 0:
            assert_raises_rpc_error(-5, "Transaction not eligible for abandonment",
                                    w0.abandontransaction, confirmed)
        n0.stop()
        n0.start([FALLBACK, "-wallet=w0", "-wallet=exact"])
        self.connect_nodes(1, 0)
        w0 = n0.proxy(path="/wallet/w0")
        assert txid not in n0.rpc.getrawmempool()  # abandoned: not resubmitted
        w0.lockunspent(True)
        assert_equal(w0.listlockunspent(), [])
        assert_equal(amount_sat(w0.getbalance()), expected0)

        self.log("an encrypted wallet refuses to send while locked (-13)")
        n0.rpc.createwallet("enc", False, False, "secret words")
        enc = n0.proxy(path="/wallet/enc")
        w0.sendtoaddress(enc.getnewaddress(), 1)
        self.mine()
        expected0 = amount_sat(w0.getbalance())
        assert_raises_rpc_error(-13, "Error: Please enter the wallet passphrase with "
                                "walletpassphrase first.", enc.sendtoaddress, to, "0.1")
        assert_raises_rpc_error(-14, "", enc.walletpassphrase, "wrong", 60)
        enc.walletpassphrase("secret words", 60)
        txid = enc.sendtoaddress(to, "0.1")
        self.tx_fee_checks(enc, txid)
        enc.walletlock()
        assert_raises_rpc_error(-13, "", enc.sendtoaddress, to, "0.1")

        self.log("kill -9 right after a send: the transaction and its change survive")
        txid = w0.sendtoaddress(w1.getnewaddress(), "0.7")
        t, fee = self.tx_fee_checks(w0, txid)
        change = [o for o in t["decoded"]["vout"]
                  if w0.getaddressinfo(o["scriptPubKey"]["address"])["ismine"]][0]
        expected0 -= 70000000 + fee
        n0.process.send_signal(signal.SIGKILL)
        n0.process.wait()
        n0.process = None
        n0.start([FALLBACK, "-wallet=w0"])
        w0 = n0.proxy(path="/wallet/w0")
        t2 = w0.gettransaction(txid)
        assert_equal(t2["txid"], txid)
        assert_equal(-amount_sat(t2["fee"]), fee)
        assert any(d["category"] == "send" for d in t2["details"])
        # Blocks not flushed before the kill come back from the peer; then the wallet
        # resubmits the transaction (at load, or when the tip moves): its change is
        # trusted and spendable again.
        self.connect_nodes(1, 0)
        self.sync_blocks()
        wait_until(lambda: txid in n0.rpc.getrawmempool(), what="resubmitted")
        wait_until(lambda: any(u["txid"] == txid and u["vout"] == change["n"]
                               for u in w0.listunspent(0)), what="change listed")
        assert_equal(amount_sat(w0.getbalance()), expected0)
        self.mine()
        assert_equal(w0.gettransaction(txid)["confirmations"], 1)
        assert_equal(amount_sat(w0.getbalance()), expected0)


if __name__ == "__main__":
    run(WalletSendTest)
