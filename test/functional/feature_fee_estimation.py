#!/usr/bin/env python3
"""estimatesmartfee and estimaterawfee on a regtest node fed with a market built here:
every block, transactions at five fee rates enter the mempool through
sendrawtransaction, and generateblock mines each one exactly its tier's delay later
(the richest tier in the next block, the poorest five blocks later). Checks the
estimates against the tiers (Core's rule: the highest of half the target at 60%, the
target at 85% and twice the target at 95%), conservative >= economical, the returned
"blocks", Core's argument errors, and fee_estimates.dat across a restart and when
damaged.

Needs the daemon wiring of src/chain/fees.h (estimator fed by the mempool and block
hooks, fee_estimates.dat in the chain directory); skipped while iopd does not know
estimatesmartfee."""
import math
import os

from test_framework.authproxy import JSONRPCException
from test_framework.iop_tx import (
    amount_sat, mine_coinbase, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh)
from test_framework.test_framework import IopTestFramework, SkipTest, run
from test_framework.util import assert_equal, assert_raises_rpc_error

KEY = 1
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)
NO_DATA = "Insufficient data or no feerate found"

# Core's fee-rate buckets (sat/kvB): 1000 * 1.05^k up to 1e7.
BOUNDS = []
_b = 1000.0
while _b <= 1e7:
    BOUNDS.append(_b)
    _b *= 1.05


def bucket_of(rate):
    """(low, high] bounds of the bucket holding rate."""
    for i, b in enumerate(BOUNDS):
        if rate <= b:
            return (BOUNDS[i - 1] if i else 0, b)
    raise AssertionError(rate)


def mid_rate(approx):
    """A rate in the middle of approx's bucket, so rounding never moves it out."""
    lo, hi = bucket_of(approx)
    return math.sqrt(lo * hi)


# (fee rate in sat/kvB, blocks until mined), richest first.
TIERS = [(mid_rate(32000), 1), (mid_rate(16000), 2), (mid_rate(8000), 3),
         (mid_rate(4000), 4), (mid_rate(2000), 5)]
PER_TIER = 2
ROUNDS = 40


def expected_tier(target):
    """The tier Core's estimatesmartfee settles on here: the half target (at 60%) asks
    for the most, and a tier passes a target when its delay is within it."""
    half = max(1, (2 if target == 1 else target) // 2)
    ok = [rate for rate, delay in TIERS if delay <= half]
    return min(ok)


class FeeEstimationTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def spend(self, utxo, rate):
        """A signed one-in one-out spend of utxo (txid, n, value) paying rate sat/kvB."""
        txid, n, value = utxo
        tx = spend_p2wpkh(txid, n, value, KEY, [(value - 1000, SPK)])
        for _ in range(3):  # the signature length can move the vsize by a byte
            fee = math.ceil(rate * tx.vsize() / 1000)
            tx = spend_p2wpkh(txid, n, value, KEY, [(value - fee, SPK)])
            if (value - tx.vout[0][0]) * 1000 // tx.vsize() >= int(bucket_of(rate)[0]) + 1:
                break
        return tx

    def check_estimates(self, rpc, max_blocks):
        for target in (1, 2, 3, 4, 5, 6, 8, 10, 15):
            res = rpc.estimatesmartfee(target)
            assert_equal(sorted(res.keys()), ["blocks", "feerate"])
            assert_equal(res["blocks"], min(2 if target == 1 else target, max_blocks))
            lo, hi = bucket_of(expected_tier(res["blocks"]))
            got = amount_sat(res["feerate"])
            assert lo < got <= hi + 1, (target, got, lo, hi)
            cons = rpc.estimatesmartfee(target, "conservative")
            assert amount_sat(cons["feerate"]) >= got, (target, cons, res)
            assert_equal(rpc.estimatesmartfee(target, "unset"), res)
            assert_equal(rpc.estimatesmartfee(target, "ECONOMICAL"), res)

    def run_test(self):
        rpc = self.nodes[0].rpc
        try:
            rpc.estimatesmartfee(6)
        except JSONRPCException as e:
            if e.error["code"] == -32601:
                raise SkipTest("estimatesmartfee is not wired into iopd yet (src/chain/fees.h)")
            raise

        self.log("no data yet: Core's error and argument checks")
        assert_equal(rpc.estimatesmartfee(6), {"errors": [NO_DATA], "blocks": 0})
        assert_equal(rpc.estimatesmartfee(1, "conservative"), {"errors": [NO_DATA], "blocks": 0})
        for bad in (0, -1, 1009):
            assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008",
                                    rpc.estimatesmartfee, bad)
            assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008",
                                    rpc.estimaterawfee, bad)
        assert_raises_rpc_error(-3, "not of expected type number", rpc.estimatesmartfee, "6")
        assert_raises_rpc_error(-1, "JSON integer out of range", rpc.estimatesmartfee, 2.5)
        assert_raises_rpc_error(
            -8, 'Invalid estimate_mode parameter, must be one of: "unset", "economical", '
            '"conservative"', rpc.estimatesmartfee, 6, "fast")
        assert_raises_rpc_error(-8, "Invalid threshold", rpc.estimaterawfee, 6, 1.5)
        assert_raises_rpc_error(-8, "Invalid threshold", rpc.estimaterawfee, 6, -0.1)
        raw = rpc.estimaterawfee(6)
        assert_equal(sorted(raw.keys()), ["long", "medium", "short"])
        assert_equal(raw["short"]["errors"],
                     ["Insufficient data or no feerate found which meets threshold"])
        assert_equal(raw["short"]["scale"], 1)
        assert_equal(raw["medium"]["scale"], 2)
        assert_equal(raw["long"]["scale"], 24)
        assert_equal(sorted(rpc.estimaterawfee(13).keys()), ["long", "medium"])
        assert_equal(sorted(rpc.estimaterawfee(49).keys()), ["long"])

        self.log("coins: 6 coinbases split into 100 outputs each")
        coinbases = [mine_coinbase(rpc, ADDR) for _ in range(6)]
        rpc.generatetoaddress(100, ADDR)
        utxos = []
        top_rate = TIERS[0][0]
        for _, cb, value in coinbases:
            part = value // 101
            outs = [(part, SPK)] * 100
            tx = spend_p2wpkh(cb, 0, value, KEY, outs + [(value - 100 * part - 1000, SPK)])
            fee = math.ceil(top_rate * tx.vsize() / 1000) + 10
            tx = spend_p2wpkh(cb, 0, value, KEY, outs + [(value - 100 * part - fee, SPK)])
            txid = rpc.sendrawtransaction(tx.hex())
            utxos += [(txid, i, part) for i in range(100)]
        rpc.generatetoaddress(1, ADDR)  # the richest tier: mined in the next block
        assert_equal(rpc.getrawmempool(), [])

        self.log("a market of %d blocks" % ROUNDS)
        pending = []  # (txid, height of the block that mines it)
        for _ in range(ROUNDS):
            tip = rpc.getblockcount()
            for rate, delay in TIERS:
                for _ in range(PER_TIER):
                    tx = self.spend(utxos.pop(), rate)
                    pending.append((rpc.sendrawtransaction(tx.hex()), tip + delay))
            due = [t for t, h in pending if h == tip + 1]
            pending = [(t, h) for t, h in pending if h != tip + 1]
            rpc.generateblock(ADDR, due)
            assert_equal(sorted(rpc.getrawmempool()), sorted(t for t, _ in pending))

        self.log("estimates follow the tiers")
        # Counting started with the fan-out block, ROUNDS blocks ago: targets are capped
        # at half of that.
        self.check_estimates(rpc, ROUNDS // 2)
        res = rpc.estimatesmartfee(1008)
        assert_equal(res["blocks"], ROUNDS // 2)
        lo, hi = bucket_of(TIERS[-1][0])
        assert lo < amount_sat(res["feerate"]) <= hi + 1

        raw = rpc.estimaterawfee(3, 0.85)
        short = raw["short"]
        lo, hi = bucket_of(TIERS[2][0])  # delay 3
        assert lo < amount_sat(short["feerate"]) <= hi + 1, short
        assert_equal(short["decay"], 0.962)
        assert_equal(short["scale"], 1)
        assert_equal(list(short["pass"].keys()), ["startrange", "endrange", "withintarget",
                                                  "totalconfirmed", "inmempool", "leftmempool"])
        assert short["pass"]["startrange"] < amount_sat(short["feerate"]) <= \
            short["pass"]["endrange"]
        assert short["pass"]["withintarget"] > 0
        # The next tier down (delay 4) is the failing range: nothing within 3 blocks.
        assert_equal(short["fail"]["withintarget"], 0)
        assert short["fail"]["endrange"] >= bucket_of(TIERS[3][0])[1] - 1
        assert "errors" not in short
        # The long horizon needs 0.1 / (1 - 0.99931) = 145 samples per group of buckets,
        # so tiers are merged there; its answer lies in the passing group.
        lng = raw["long"]
        assert_equal(lng["scale"], 24)
        assert lng["pass"]["startrange"] < amount_sat(lng["feerate"]) <= lng["pass"]["endrange"]
        assert lng["pass"]["totalconfirmed"] >= 145, lng

        self.log("fee_estimates.dat survives a restart")
        rpc.generateblock(ADDR, [t for t, _ in pending])  # nothing left waiting
        assert_equal(rpc.getrawmempool(), [])
        before = {t: rpc.estimatesmartfee(t) for t in (2, 4, 6, 10, 1008)}
        before_cons = {t: rpc.estimatesmartfee(t, "conservative") for t in (2, 6)}
        self.nodes[0].stop()
        path = os.path.join(self.nodes[0].chaindir, "fee_estimates.dat")
        assert os.path.getsize(path) > 100000
        self.nodes[0].start()
        rpc = self.nodes[0].rpc
        assert_equal({t: rpc.estimatesmartfee(t) for t in before}, before)
        assert_equal({t: rpc.estimatesmartfee(t, "conservative") for t in before_cons},
                     before_cons)

        self.log("a damaged file is logged and ignored")
        self.nodes[0].stop()
        with open(path, "r+b") as f:
            f.seek(1000)
            byte = f.read(1)
            f.seek(1000)
            f.write(bytes([byte[0] ^ 0x10]))
        self.nodes[0].start()
        rpc = self.nodes[0].rpc
        assert_equal(rpc.estimatesmartfee(6), {"errors": [NO_DATA], "blocks": 0})
        assert "fee_estimates.dat" in self.nodes[0].debug_log()
        assert "checksum mismatch" in self.nodes[0].debug_log()


if __name__ == "__main__":
    run(FeeEstimationTest)
