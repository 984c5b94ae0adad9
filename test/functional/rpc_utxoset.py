#!/usr/bin/env python3
"""The UTXO set RPCs on a regtest chain: gettxoutsetinfo (checked against a set rebuilt
here from getblock, including Core's hash_serialized_3 computed independently),
scantxoutset with addr() and raw() descriptors, and getblock's verbosity 2 "fee" and
verbosity 3 "prevout" from the undo data."""
import hashlib
import struct

from test_framework.iop_tx import (
    amount_sat, compact, mine_coinbase, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh)
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_raises_rpc_error

KEY = 1
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)
ADDR2 = p2wpkh_address(pubkey(2))
SPK2 = p2wpkh_script(pubkey(2))
NULLDATA = bytes.fromhex("6a0474657374")  # OP_RETURN: never in the set


def utxo_set(rpc):
    """{(txid, n): (height, coinbase, value, spk bytes)} rebuilt from the blocks."""
    utxos = {}
    for h in range(1, rpc.getblockcount() + 1):
        blk = rpc.getblock(rpc.getblockhash(h), 2)
        for i, tx in enumerate(blk["tx"]):
            for vin in tx["vin"]:
                if "coinbase" not in vin:
                    del utxos[(vin["txid"], vin["vout"])]
            for out in tx["vout"]:
                spk = bytes.fromhex(out["scriptPubKey"]["hex"])
                if spk[:1] == b"\x6a" or len(spk) > 10000:
                    continue  # unspendable: never in the set
                utxos[(tx["txid"], out["n"])] = (h, i == 0, amount_sat(out["value"]), spk)
    return utxos


def hash_serialized_3(utxos):
    """Core's kernel/coinstats.cpp: SHA256d over TxOutSer(outpoint, coin) of every coin
    in (txid bytes, n) order."""
    ss = b""
    for (txid, n) in sorted(utxos, key=lambda k: (bytes.fromhex(k[0])[::-1], k[1])):
        h, cb, value, spk = utxos[(txid, n)]
        ss += bytes.fromhex(txid)[::-1] + struct.pack("<I", n)
        ss += struct.pack("<I", h * 2 + (1 if cb else 0))
        ss += struct.pack("<q", value) + compact(len(spk)) + spk
    return hashlib.sha256(hashlib.sha256(ss).digest()).digest()[::-1].hex()


class UtxoSetTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def check_stats(self, rpc):
        utxos = utxo_set(rpc)
        info = rpc.gettxoutsetinfo()
        assert_equal(list(info.keys()), ["height", "bestblock", "txouts", "bogosize",
                                         "hash_serialized_3", "total_amount", "transactions",
                                         "disk_size"])
        assert_equal(info["height"], rpc.getblockcount())
        assert_equal(info["bestblock"], rpc.getbestblockhash())
        assert_equal(info["txouts"], len(utxos))
        assert_equal(info["transactions"], len(set(k[0] for k in utxos)))
        assert_equal(info["bogosize"], sum(50 + len(u[3]) for u in utxos.values()))
        assert_equal(amount_sat(info["total_amount"]), sum(u[2] for u in utxos.values()))
        assert_equal(info["hash_serialized_3"], hash_serialized_3(utxos))
        assert info["disk_size"] >= 0
        none = rpc.gettxoutsetinfo("none")
        assert "hash_serialized_3" not in none
        for k in ("height", "bestblock", "txouts", "bogosize", "total_amount", "transactions"):
            assert_equal(none[k], info[k])
        return utxos

    def run_test(self):
        rpc = self.nodes[0].rpc
        self.log("gettxoutsetinfo on the genesis block: an empty set")
        info = rpc.gettxoutsetinfo("none")
        assert_equal(info["height"], 0)
        assert_equal(info["txouts"], 0)
        assert_equal(info["total_amount"], 0)
        assert_raises_rpc_error(-8, "foo is not a valid hash_type", rpc.gettxoutsetinfo, "foo")
        assert_raises_rpc_error(-8, "muhash", rpc.gettxoutsetinfo, "muhash")
        assert_raises_rpc_error(-8, "coinstatsindex", rpc.gettxoutsetinfo, "none", 1)

        self.log("mine, spend to two addresses and an OP_RETURN output")
        _, cb0, v0 = mine_coinbase(rpc, ADDR)
        _, cb1, v1 = mine_coinbase(rpc, ADDR)
        rpc.generatetoaddress(100, ADDR)
        fee = 20000
        tx = spend_p2wpkh(cb0, 0, v0, KEY, [(100000000, SPK2), (0, NULLDATA),
                                            (v0 - 100000000 - fee, SPK)])
        txid = rpc.sendrawtransaction(tx.hex())
        bh = rpc.generatetoaddress(1, ADDR)[0]
        utxos = self.check_stats(rpc)
        tip_height = rpc.getblockcount()

        self.log("getblock: fee with verbosity 2, prevout with verbosity 3")
        b1 = rpc.getblock(bh, 1)
        b2 = rpc.getblock(bh, 2)
        b3 = rpc.getblock(bh, 3)
        assert_equal([t["txid"] for t in b2["tx"]], b1["tx"])
        assert "fee" not in b2["tx"][0]
        assert_equal(amount_sat(b2["tx"][1]["fee"]), fee)
        assert_equal(list(b2["tx"][1].keys())[-2:], ["fee", "hex"])
        assert "prevout" not in b2["tx"][1]["vin"][0]
        vin = b3["tx"][1]["vin"][0]
        assert_equal(list(vin.keys())[-2:], ["prevout", "sequence"])
        assert_equal(vin["prevout"]["generated"], True)
        assert_equal(vin["prevout"]["height"], 1)
        assert_equal(amount_sat(vin["prevout"]["value"]), v0)
        assert_equal(vin["prevout"]["scriptPubKey"]["hex"], SPK.hex())
        assert_equal(vin["prevout"]["scriptPubKey"]["address"], ADDR)
        assert_equal(amount_sat(b3["tx"][1]["fee"]), fee)
        assert "prevout" not in b3["tx"][0]["vin"][0]
        # The genesis block has no undo data: no fee, no error.
        g = rpc.getblock(rpc.getblockhash(0), 3)
        assert "fee" not in g["tx"][0]

        self.log("scantxoutset addr() and raw()")
        res = rpc.scantxoutset("start", ["addr(%s)" % ADDR2])
        assert_equal(list(res.keys()), ["success", "txouts", "height", "bestblock", "unspents",
                                        "total_amount"])
        assert_equal(res["success"], True)
        assert_equal(res["txouts"], len(utxos))
        assert_equal(res["height"], tip_height)
        assert_equal(res["bestblock"], bh)
        assert_equal(len(res["unspents"]), 1)
        u = res["unspents"][0]
        assert_equal(u["txid"], txid)
        assert_equal(u["vout"], 0)
        assert_equal(u["scriptPubKey"], SPK2.hex())
        assert u["desc"].startswith("addr(%s)#" % ADDR2), u["desc"]
        assert_equal(amount_sat(u["amount"]), 100000000)
        assert_equal(u["coinbase"], False)
        assert_equal(u["height"], tip_height)
        assert_equal(u["blockhash"], bh)
        assert_equal(u["confirmations"], 1)
        assert_equal(amount_sat(res["total_amount"]), 100000000)

        res = rpc.scantxoutset("start", [{"desc": "raw(%s)" % SPK2.hex()}])
        assert_equal([(x["txid"], x["vout"]) for x in res["unspents"]], [(txid, 0)])
        assert res["unspents"][0]["desc"].startswith("raw(%s)#" % SPK2.hex())
        assert_equal(rpc.scantxoutset("start", ["raw(%s)" % NULLDATA.hex()])["unspents"], [])
        assert_raises_rpc_error(-5, "not hex", rpc.scantxoutset, "start", ["raw(zz)"])

        mine = [k for k, u in utxos.items() if u[3] == SPK]
        res = rpc.scantxoutset("start", ["addr(%s)" % ADDR, "addr(%s)" % ADDR2])
        assert_equal(len(res["unspents"]), len(mine) + 1)
        assert_equal(amount_sat(res["total_amount"]),
                     sum(utxos[k][2] for k in mine) + 100000000)
        coinbases = [x for x in res["unspents"] if x["coinbase"]]
        assert any(x["txid"] == cb1 and x["height"] == 2 for x in coinbases)

        # A checksum is accepted when right and refused when wrong.
        desc = res["unspents"][-1]["desc"]
        ok = rpc.scantxoutset("start", [desc])
        assert len(ok["unspents"]) >= 1
        bad = desc[:-1] + ("q" if desc[-1] != "q" else "p")
        assert_raises_rpc_error(-5, "does not match computed checksum", rpc.scantxoutset,
                                "start", [bad])
        assert_raises_rpc_error(-8, "not supported", rpc.scantxoutset, "start",
                                ["wpkh(%s)" % PUB.hex()])
        assert_raises_rpc_error(-5, "Address is not valid", rpc.scantxoutset, "start",
                                ["addr(notanaddress)"])
        assert_raises_rpc_error(-8, "scanobjects argument is required", rpc.scantxoutset,
                                "start")
        assert_raises_rpc_error(-8, "Invalid action 'go'", rpc.scantxoutset, "go", [])
        assert_equal(rpc.scantxoutset("status"), None)
        assert_equal(rpc.scantxoutset("abort"), False)
        assert_equal(rpc.scantxoutset("start", [])["unspents"], [])

        self.log("after a reorg and a restart the statistics follow the tip")
        rpc.invalidateblock(bh)
        self.check_stats(rpc)
        rpc.reconsiderblock(bh)
        self.nodes[0].stop()
        self.nodes[0].start([])
        rpc = self.nodes[0].rpc
        assert_equal(rpc.getbestblockhash(), bh)
        self.check_stats(rpc)


if __name__ == "__main__":
    run(UtxoSetTest)
