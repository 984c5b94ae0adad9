#!/usr/bin/env python3
"""The UTXO set RPCs on a regtest chain: gettxoutsetinfo (checked against a set rebuilt
here from getblock, including Core's hash_serialized_3 computed independently),
scantxoutset with every descriptor iopd parses (addr, raw, pk, pkh, wpkh, sh, wsh, multi,
sortedmulti, tr, combo, xpubs and xprvs over ranges; scripts, keys, BIP32 derivation and
the expected "desc" strings with their BIP380 checksums computed here), and getblock's
verbosity 2 "fee" and verbosity 3 "prevout" from the undo data."""
import hashlib
import hmac
import struct

from test_framework.iop_tx import (
    G, N, amount_sat, compact, hash160, mine_coinbase, p2wpkh_address, p2wpkh_script,
    point_add, point_mul, pubkey, ser_compressed, sha256, spend_p2wpkh)
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_raises_rpc_error

KEY = 1
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)
ADDR2 = p2wpkh_address(pubkey(2))
SPK2 = p2wpkh_script(pubkey(2))
NULLDATA = bytes.fromhex("6a0474657374")  # OP_RETURN: never in the set
PUB2 = pubkey(2)
PUB3, PUB4 = pubkey(3), pubkey(4)

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
XPUB_VERSION = 0xBB8F4852  # regtest
XPRV_VERSION = 0x2B7FA42A
CHAIN = bytes(range(32, 64))
MASTER = 11

# BIP380 descriptor checksum.
INPUT_CHARSET = ("0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
                 "ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ")
CHECKSUM_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def descsum_polymod(symbols):
    gen = [0xf5dee51989, 0xa9fdca3312, 0x1bab10e32d, 0x3706b1677a, 0x644d626ffd]
    chk = 1
    for value in symbols:
        top = chk >> 35
        chk = (chk & 0x7ffffffff) << 5 ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def desc_with_checksum(s):
    symbols, groups = [], []
    for c in s:
        v = INPUT_CHARSET.index(c)
        symbols.append(v & 31)
        groups.append(v >> 5)
        if len(groups) == 3:
            symbols.append(groups[0] * 9 + groups[1] * 3 + groups[2])
            groups = []
    if len(groups) == 1:
        symbols.append(groups[0])
    elif len(groups) == 2:
        symbols.append(groups[0] * 3 + groups[1])
    c = descsum_polymod(symbols + [0] * 8) ^ 1
    return s + "#" + "".join(CHECKSUM_CHARSET[(c >> (5 * (7 - i))) & 31] for i in range(8))


def b58check(payload):
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def lift_x(x):
    p = 2**256 - 2**32 - 977
    y = pow((x * x * x + 7) % p, (p + 1) // 4, p)
    return (x, y if y % 2 == 0 else p - y)


def decompress(pub):
    p = 2**256 - 2**32 - 977
    x, y = lift_x(int.from_bytes(pub[1:], "big"))
    return (x, y if (y & 1) == (pub[0] & 1) else p - y)


def ckd_priv(k, chain, i):
    """BIP32 private child derivation (hardened when i >= 2^31)."""
    if i >= 0x80000000:
        data = b"\0" + k.to_bytes(32, "big")
    else:
        data = pubkey(k)
    I = hmac.new(chain, data + i.to_bytes(4, "big"), hashlib.sha512).digest()
    return (int.from_bytes(I[:32], "big") + k) % N, I[32:]


def ckd_pub(pub, chain, i):
    I = hmac.new(chain, pub + i.to_bytes(4, "big"), hashlib.sha512).digest()
    pt = point_add(point_mul(G, int.from_bytes(I[:32], "big")), decompress(pub))
    return ser_compressed(pt), I[32:]


def fp(pub):
    return hash160(pub)[:4].hex()


def p2pkh_script(pub):
    return b"\x76\xa9\x14" + hash160(pub) + b"\x88\xac"


def p2sh_script(redeem):
    return b"\xa9\x14" + hash160(redeem) + b"\x87"


def p2wsh_script(ws):
    return b"\x00\x20" + sha256(ws)


def multisig(k, pubs):
    return (bytes([0x50 + k]) + b"".join(b"\x21" + p for p in pubs) +
            bytes([0x50 + len(pubs), 0xae]))


def p2tr_script(xonly):
    """BIP341 key-path output for internal key xonly (no script tree)."""
    tag = sha256(b"TapTweak")
    t = int.from_bytes(sha256(tag + tag + xonly), "big")
    q = point_add(lift_x(int.from_bytes(xonly, "big")), point_mul(G, t))
    return b"\x51\x20" + q[0].to_bytes(32, "big")


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

        # Core reports what InferDescriptor makes of the script: an address when it has
        # one, raw() otherwise.
        res = rpc.scantxoutset("start", [{"desc": "raw(%s)" % SPK2.hex()}])
        assert_equal([(x["txid"], x["vout"]) for x in res["unspents"]], [(txid, 0)])
        assert_equal(res["unspents"][0]["desc"], desc_with_checksum("addr(%s)" % ADDR2))
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
        assert_raises_rpc_error(-5, "Address is not valid", rpc.scantxoutset, "start",
                                ["addr(notanaddress)"])
        assert_raises_rpc_error(-1, "scanobjects argument is required", rpc.scantxoutset,
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
        self.scan_descriptors(rpc, cb1, v1)

    def scan_expect(self, rpc, objs, want):
        """Scans objs and checks the matches: want is {(txid, vout): desc without checksum}."""
        res = rpc.scantxoutset("start", objs)
        got = {(u["txid"], u["vout"]): u["desc"] for u in res["unspents"]}
        assert_equal(got, {k: desc_with_checksum(v) for k, v in want.items()})
        return res

    def scan_descriptors(self, rpc, cb1, v1):
        self.log("scantxoutset with key descriptors: outputs of every kind")
        assert_equal(desc_with_checksum("raw(deadbeef)"), "raw(deadbeef)#89f8spxm")
        wsh_ms = multisig(1, sorted([PUB3, PUB4]))
        sh_ms = multisig(2, [PUB4, PUB3])
        xonly5 = pubkey(5)[1:]
        outs = [(1000000, p2pkh_script(PUB2)),
                (2000000, p2sh_script(p2wpkh_script(PUB2))),
                (3000000, bytes([33]) + PUB2 + b"\xac"),
                (4000000, p2wsh_script(wsh_ms)),
                (5000000, p2sh_script(sh_ms)),
                (6000000, p2tr_script(xonly5))]
        outs.append((v1 - sum(v for v, _ in outs) - 30000, SPK))
        tx = spend_p2wpkh(cb1, 0, v1, KEY, outs)
        t = rpc.sendrawtransaction(tx.hex())
        rpc.generatetoaddress(1, ADDR)
        # The P2WPKH output of key 2 from the first test transaction.
        w2 = [u["txid"] for u in rpc.scantxoutset("start", ["addr(%s)" % ADDR2])["unspents"]][0]

        k2 = "[%s]%s" % (fp(PUB2), PUB2.hex())
        self.scan_expect(rpc, ["pkh(%s)" % PUB2.hex()], {(t, 0): "pkh(%s)" % k2})
        self.scan_expect(rpc, ["wpkh(%s)" % PUB2.hex()], {(w2, 0): "wpkh(%s)" % k2})
        self.scan_expect(rpc, ["sh(wpkh(%s))" % PUB2.hex()], {(t, 1): "sh(wpkh(%s))" % k2})
        self.scan_expect(rpc, ["pk(%s)" % PUB2.hex()], {(t, 2): "pk(%s)" % k2})
        res = self.scan_expect(rpc, ["combo(%s)" % PUB2.hex()],
                               {(t, 0): "pkh(%s)" % k2, (t, 1): "sh(wpkh(%s))" % k2,
                                (t, 2): "pk(%s)" % k2, (w2, 0): "wpkh(%s)" % k2})
        assert_equal(amount_sat(res["total_amount"]), 6000000 + 100000000)
        # A WIF key: the same, shown with its public key.
        wif = b58check(bytes([76]) + (2).to_bytes(32, "big") + b"\x01")  # regtest WIF
        assert_equal(rpc.getdescriptorinfo("pkh(%s)" % wif)["hasprivatekeys"], True)
        self.scan_expect(rpc, ["pkh(%s)" % wif], {(t, 0): "pkh(%s)" % k2})
        # A key with an origin keeps it (fingerprint lower-cased, "h" for hardened).
        self.scan_expect(rpc, ["pkh([DEADBEEF/44'/1h]%s)" % PUB2.hex()],
                         {(t, 0): "pkh([deadbeef/44h/1h]%s)" % PUB2.hex()})

        k3, k4 = "[%s]%s" % (fp(PUB3), PUB3.hex()), "[%s]%s" % (fp(PUB4), PUB4.hex())
        sorted_keys = [k3, k4] if PUB3 < PUB4 else [k4, k3]
        self.scan_expect(rpc, ["wsh(sortedmulti(1,%s,%s))" % (PUB4.hex(), PUB3.hex())],
                         {(t, 3): "wsh(multi(1,%s,%s))" % tuple(sorted_keys)})
        self.scan_expect(rpc, ["sh(multi(2,%s,%s))" % (PUB4.hex(), PUB3.hex())],
                         {(t, 4): "sh(multi(2,%s,%s))" % (k4, k3)})
        # The multisig script itself is not in the set; the other order is another script.
        self.scan_expect(rpc, ["wsh(multi(1,%s,%s))" % (PUB4.hex(), PUB3.hex())]
                         if PUB3 < PUB4 else ["wsh(multi(1,%s,%s))" % (PUB3.hex(), PUB4.hex())],
                         {})
        tr = "tr([%s]%s)" % (fp(b"\x02" + xonly5), xonly5.hex())
        self.scan_expect(rpc, ["tr(%s)" % xonly5.hex()], {(t, 5): tr})
        # A compressed key in tr(): the fingerprint is that of the key as given.
        self.scan_expect(rpc, ["tr(%s)" % pubkey(5).hex()],
                         {(t, 5): "tr([%s]%s)" % (fp(pubkey(5)), xonly5.hex())})
        # Several objects: one list, each output once; raw() of a P2TR output is rawtr() of
        # its output key.
        tr5 = p2tr_script(xonly5)
        self.scan_expect(rpc, ["raw(%s)" % tr5.hex(), "pkh(%s)" % PUB2.hex(),
                               "combo(%s)" % PUB2.hex()],
                         {(t, 5): "rawtr(%s)" % tr5[2:].hex(), (t, 0): "pkh(%s)" % k2,
                          (t, 1): "sh(wpkh(%s))" % k2, (t, 2): "pk(%s)" % k2,
                          (w2, 0): "wpkh(%s)" % k2})

        self.log("scantxoutset over ranges of an xpub and an xprv")
        mpub = pubkey(MASTER)
        xpub = b58check(XPUB_VERSION.to_bytes(4, "big") + bytes(9) + CHAIN + mpub)
        xprv = b58check(XPRV_VERSION.to_bytes(4, "big") + bytes(9) + CHAIN + b"\0" +
                        MASTER.to_bytes(32, "big"))
        c0, cc0 = ckd_pub(mpub, CHAIN, 0)
        key7 = ckd_pub(c0, cc0, 7)[0]
        key3 = ckd_pub(c0, cc0, 3)[0]
        b7 = rpc.generatetodescriptor(2, "wpkh(%s/0/7)" % xpub)
        b3 = rpc.generatetodescriptor(1, "wpkh([d34db33f/84h/1']%s/0/3)" % xpub)
        cbs = {h: rpc.getblock(h)["tx"][0] for h in b7 + b3}
        want7 = {(cbs[h], 0): "wpkh([%s/0/7]%s)" % (fp(mpub), key7.hex()) for h in b7}
        want3 = {(cbs[h], 0): "wpkh([%s/0/3]%s)" % (fp(mpub), key3.hex()) for h in b3}
        ranged = "wpkh(%s/0/*)" % xpub
        self.scan_expect(rpc, [ranged], {**want7, **want3})  # default range: 0..1000
        self.scan_expect(rpc, [{"desc": ranged, "range": [0, 10]}], {**want7, **want3})
        self.scan_expect(rpc, [{"desc": ranged, "range": 5}], want3)
        self.scan_expect(rpc, [{"desc": ranged, "range": [7, 7]}], want7)
        self.scan_expect(rpc, [{"desc": ranged, "range": [8, 2000]}], {})
        self.scan_expect(rpc, [{"desc": "wpkh([D34DB33F/84h/1']%s/0/*)" % xpub, "range": 4}],
                         {k: "wpkh([d34db33f/84h/1h/0/3]%s)" % key3.hex() for k in want3})
        # A range is ignored for a descriptor that is not ranged (Core: position 0).
        self.scan_expect(rpc, [{"desc": "wpkh(%s/0/7)" % xpub, "range": [1, 2]}], want7)
        # Hardened steps need the xprv.
        k1h, c1h = ckd_priv(MASTER, CHAIN, 0x80000001)
        k2h, _ = ckd_priv(k1h, c1h, 0x80000002)
        pub2h = pubkey(k2h)
        bh2 = rpc.generatetodescriptor(1, "pkh(%s)" % pub2h.hex())[0]
        cb2h = rpc.getblock(bh2)["tx"][0]
        self.scan_expect(rpc, [{"desc": "pkh(%s/1h/*h)" % xprv, "range": [0, 3]}],
                         {(cb2h, 0): "pkh([%s/1h/2h]%s)" % (fp(mpub), pub2h.hex())})
        self.scan_expect(rpc, [{"desc": "pkh(%s/1'/*')" % xprv, "range": 2}],
                         {(cb2h, 0): "pkh([%s/1h/2h]%s)" % (fp(mpub), pub2h.hex())})
        assert_raises_rpc_error(-5, "Cannot derive script without private keys: 'pkh(%s/1h/*)'"
                                % xpub, rpc.scantxoutset, "start", ["pkh(%s/1h/*)" % xpub])

        self.log("scantxoutset argument errors")
        for rng, msg in (([2, 1], "Range specified as [begin,end] must not have begin after end"),
                         ([-1, 10], "Range should be greater or equal than 0"),
                         (-1, "End of range is too high"),  # n means [0, n], as Core
                         ([0, 2**31], "End of range is too high"),
                         ([0, 1000000], "Range is too large"),
                         ("x", "Range must be specified as end or as [begin,end]")):
            assert_raises_rpc_error(-8, msg, rpc.scantxoutset, "start",
                                    [{"desc": ranged, "range": rng}])
        assert_raises_rpc_error(-8, "Descriptor needs to be provided in scan object",
                                rpc.scantxoutset, "start", [{"range": 3}])
        assert_raises_rpc_error(-3, "JSON value of type number is not of expected type string",
                                rpc.scantxoutset, "start", [{"desc": 5}])
        assert_raises_rpc_error(-8, "Scan object needs to be either a string or an object",
                                rpc.scantxoutset, "start", [5])
        assert_raises_rpc_error(-5, "is not a valid descriptor function", rpc.scantxoutset,
                                "start", ["foo(00)"])
        assert_raises_rpc_error(-5, "Provided checksum", rpc.scantxoutset, "start",
                                ["pkh(%s)#00000000" % PUB2.hex()])
        assert_raises_rpc_error(-3, "not of expected type array", rpc.scantxoutset, "start",
                                "pkh(%s)" % PUB2.hex())


if __name__ == "__main__":
    run(UtxoSetTest)
