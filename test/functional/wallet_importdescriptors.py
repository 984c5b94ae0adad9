#!/usr/bin/env python3
"""importdescriptors: a watch-only wpkh(KEY) descriptor imported into a blank wallet with
private keys disabled finds coins mined to it before the import (timestamp 0 rescans),
importing it again neither fails nor counts twice, a bad or missing checksum is -5,
a descriptor with a private key is refused by a watch-only wallet (and a watch-only one
by a wallet with keys), ranged/labels/active rules, and listdescriptors shows it.
Skips (77) when the daemon has no importdescriptors."""
import hashlib
import sys

from test_framework.authproxy import JSONRPCException
from test_framework.iop_tx import amount_sat, p2wpkh_address, pubkey
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_raises_rpc_error

KEY = 0x5eed1234
OTHER_KEY = 0x5eed9876
WIF_VERSION = 76  # regtest
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58check(payload):
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def wif(seckey):
    return b58check(bytes([WIF_VERSION]) + seckey.to_bytes(32, "big") + b"\x01")


class ImportDescriptorsTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        n0 = self.nodes[0]
        n0.rpc.createwallet("A")
        a = n0.proxy(path="/wallet/A")
        try:
            a.importdescriptors([])
        except JSONRPCException as e:
            if e.error["code"] == -32601:
                print("skipping: the daemon has no importdescriptors", file=sys.stderr)
                sys.exit(77)
            raise

        pub = pubkey(KEY)
        addr = p2wpkh_address(pub)
        desc = n0.rpc.getdescriptorinfo("wpkh(%s)" % pub.hex())["descriptor"]
        assert "#" in desc

        self.log("coins mined to a key of ours before any wallet knows it")
        n0.rpc.generatetoaddress(3, addr)
        n0.rpc.generatetoaddress(100, a.getnewaddress())
        coin = sum(amount_sat(o["value"])
                   for h in range(1, 4)
                   for o in n0.rpc.getblock(n0.rpc.getblockhash(h), 2)["tx"][0]["vout"]
                   if o["scriptPubKey"].get("address") == addr)

        self.log("a blank watch-only wallet imports it with timestamp 0 and finds them")
        n0.rpc.createwallet("W", True, True)
        wo = n0.proxy(path="/wallet/W")
        assert_equal(amount_sat(wo.getbalances()["mine"]["trusted"]), 0)
        res = wo.importdescriptors([{"desc": desc, "timestamp": 0, "label": "imported"}])
        assert_equal(res, [{"success": True}])
        bal = amount_sat(wo.getbalances()["mine"]["trusted"])
        assert bal > 0, bal
        assert_equal(bal, coin)
        assert_equal(len(wo.listunspent()), 3)
        info = wo.getaddressinfo(addr)
        assert_equal(info["ismine"], True)
        assert_equal(info["labels"], ["imported"])

        self.log("importing it again: success, nothing counted twice")
        res = wo.importdescriptors([{"desc": desc, "timestamp": 0}])
        assert_equal(res, [{"success": True}])
        assert_equal(amount_sat(wo.getbalances()["mine"]["trusted"]), bal)
        assert_equal(len(wo.listunspent()), 3)

        self.log("listdescriptors shows it")
        listed = wo.listdescriptors()["descriptors"]
        assert_equal([d["desc"] for d in listed], [desc])
        assert_equal(listed[0]["active"], False)

        self.log("a new payment to it is seen at once (an immature coinbase)")
        n0.rpc.generatetoaddress(1, addr)
        assert amount_sat(wo.getbalances()["mine"]["immature"]) > 0

        self.log("checksums: missing and bad are -5")
        res = wo.importdescriptors([{"desc": "wpkh(%s)" % pub.hex(), "timestamp": "now"}])
        assert_equal(res[0]["success"], False)
        assert_equal(res[0]["error"]["code"], -5)
        assert_equal(res[0]["error"]["message"], "Missing checksum")
        body, cs = desc.split("#")
        bad = body + "#" + ("q" if cs[0] != "q" else "p") + cs[1:]
        res = wo.importdescriptors([{"desc": bad, "timestamp": "now"}])
        assert_equal(res[0]["success"], False)
        assert_equal(res[0]["error"]["code"], -5)
        res = wo.importdescriptors([{"desc": "wpkh(nonsense)#abcdefgh", "timestamp": "now"}])
        assert_equal(res[0]["error"]["code"], -5)

        self.log("private key into a watch-only wallet: error object; watch-only into a wallet with keys")
        body = "wpkh(%s)" % wif(OTHER_KEY)
        pdesc = body + "#" + n0.rpc.getdescriptorinfo(body)["checksum"]
        res = wo.importdescriptors([{"desc": pdesc, "timestamp": "now"}])
        assert_equal(res[0]["success"], False)
        assert_equal(res[0]["error"]["code"], -4)
        assert "private keys disabled" in res[0]["error"]["message"], res
        res = a.importdescriptors([{"desc": desc, "timestamp": "now"}])
        assert_equal(res[0]["error"]["code"], -4)

        self.log("a private descriptor into a wallet with keys: watched, listed privately")
        res = a.importdescriptors([{"desc": pdesc, "timestamp": "now"}])
        assert_equal(res, [{"success": True}])
        other_addr = p2wpkh_address(pubkey(OTHER_KEY))
        assert_equal(a.getaddressinfo(other_addr)["ismine"], True)
        pub_listed = [d["desc"] for d in a.listdescriptors()["descriptors"]]
        assert_equal(len(pub_listed), 7)
        priv_listed = [d["desc"] for d in a.listdescriptors(True)["descriptors"]]
        assert pdesc in priv_listed

        self.log("its coins count and are spent: the wallet signs with the imported WIF")
        n0.rpc.generatetoaddress(1, other_addr)
        n0.rpc.generatetoaddress(100, addr)
        mine = [u for u in a.listunspent() if u["address"] == other_addr]
        assert_equal(len(mine), 1)
        assert_equal(mine[0]["spendable"], True)
        a.settxfee("0.0001")
        dest = p2wpkh_address(pubkey(KEY + 99))
        res = a.send([{dest: "1"}], None, "unset", None,
                     {"inputs": [{"txid": mine[0]["txid"], "vout": mine[0]["vout"]}],
                      "add_inputs": False})
        assert_equal(res["complete"], True)
        spent = n0.rpc.getrawtransaction(res["txid"], True)["vin"]
        assert_equal([(i["txid"], i["vout"]) for i in spent], [(mine[0]["txid"], mine[0]["vout"])])
        n0.rpc.generatetoaddress(1, addr)
        assert_equal([u for u in a.listunspent() if u["address"] == other_addr], [])

        self.log("a ranged xprv descriptor (another wallet's Taproot chain) into a blank wallet")
        src = [d for d in a.listdescriptors(True)["descriptors"]
               if d["desc"].startswith("tr(") and "/0/*" in d["desc"]][0]["desc"]
        n0.rpc.createwallet("B", False, True)
        b = n0.proxy(path="/wallet/B")
        taddr = a.getnewaddress("", "bech32m")
        txid = a.sendtoaddress(taddr, "2")
        n0.rpc.generatetoaddress(1, addr)
        res = b.importdescriptors([{"desc": src, "timestamp": 0, "range": [0, 50]}])
        assert_equal(res, [{"success": True}])
        assert_equal(b.getwalletinfo()["blank"], False)
        assert_equal(amount_sat(b.getbalances()["mine"]["trusted"]), 200000000)
        b.settxfee("0.0001")
        # No change chain in a blank wallet: send all of it, the recipient pays the fee.
        txid2 = b.sendtoaddress(dest, "2", "", "", True)
        assert_equal(n0.rpc.getrawtransaction(txid2, True)["vin"][0]["txid"], txid)

        self.log("several in one call, each with its own result; Core's rules")
        xpub_desc = [d["desc"] for d in a.listdescriptors()["descriptors"]
                     if d["desc"].startswith("wpkh(") and "/0/*" in d["desc"]][0]
        res = wo.importdescriptors([
            {"desc": xpub_desc, "timestamp": "now", "label": "x"},
            {"desc": xpub_desc, "timestamp": "now", "active": True},
            {"desc": xpub_desc, "timestamp": "now", "range": [0, 20], "next_index": 30},
            {"desc": xpub_desc, "timestamp": "now", "range": [0, 20], "next_index": 5},
            {"desc": desc, "timestamp": "now", "range": 5},
        ])
        assert_equal(res[0]["error"]["code"], -8)
        assert_equal(res[1]["error"]["code"], -8)
        assert_equal(res[2]["error"]["code"], -8)
        assert_equal(res[3], {"success": True})
        assert_equal(res[4]["error"]["code"], -8)
        ranged = [d for d in wo.listdescriptors()["descriptors"] if d["desc"] == xpub_desc][0]
        assert_equal(ranged["range"][0], 0)
        assert_equal(ranged["next_index"], 5)
        # A's first receive address is now watched by W too (mined to above).
        first = a.getaddressinfo(a.getnewaddress())
        assert_equal(wo.getaddressinfo(first["address"])["ismine"], True)
        assert_raises_rpc_error(-3, "Missing required timestamp", wo.importdescriptors,
                                [{"desc": desc}])

        self.log("encrypted wallet: -13 while locked; the private text only when unlocked")
        n0.rpc.createwallet("E", False, False, "pass")
        e = n0.proxy(path="/wallet/E")
        body3 = "pkh(%s)" % wif(KEY + 7)
        p3 = body3 + "#" + n0.rpc.getdescriptorinfo(body3)["checksum"]
        assert_raises_rpc_error(-13, "walletpassphrase", e.importdescriptors,
                                [{"desc": p3, "timestamp": "now"}])
        e.walletpassphrase("pass", 60)
        assert_equal(e.importdescriptors([{"desc": p3, "timestamp": "now"}]), [{"success": True}])
        assert p3 in [d["desc"] for d in e.listdescriptors(True)["descriptors"]]
        e.walletlock()
        assert_raises_rpc_error(-13, "", e.listdescriptors, True)
        assert_equal(len(e.listdescriptors()["descriptors"]), 7)
        e.walletpassphrase("pass", 60)
        assert p3 in [d["desc"] for d in e.listdescriptors(True)["descriptors"]]
        e.walletlock()

        self.log("the import survives a restart")
        before = (wo.getbalances()["mine"], len(wo.listunspent()))
        n0.stop()
        n0.start(["-wallet=W"])
        wo = n0.proxy(path="/wallet/W")
        assert_equal(len(wo.listdescriptors()["descriptors"]), 2)
        assert_equal(wo.getaddressinfo(addr)["ismine"], True)
        n0.rpc.loadwallet("E")
        e = n0.proxy(path="/wallet/E")
        e.walletpassphrase("pass", 60)
        assert p3 in [d["desc"] for d in e.listdescriptors(True)["descriptors"]]
        assert_equal((wo.getbalances()["mine"], len(wo.listunspent())), before)
        assert amount_sat(before[0]["trusted"]) > bal


if __name__ == "__main__":
    run(ImportDescriptorsTest)
