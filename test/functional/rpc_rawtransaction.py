#!/usr/bin/env python3
"""Chain-independent raw-transaction and utility methods: decoderawtransaction,
decodescript, createrawtransaction, validateaddress, signmessagewithprivkey and
verifymessage, with Core's results and error codes, over the RPC proxy and iop-cli.

Expected values come from independent Python code here (a transaction parser, BIP380
checksums, Base58Check) or from Bitcoin Core's own tests, not from iopd."""
import hashlib
import json
import os
from decimal import Decimal

from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in, assert_raises_rpc_error

KEY1 = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
KEY2 = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
KEY1_UNCOMPRESSED = ("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                     "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
HASH1 = "751e76e8199196d454941c45d1b3a323f1433bd6"
P2PKH1 = "uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq"           # regtest (= test) P2PKH of key 1
P2WPKH1 = "riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m"  # doc/addresses.md
MAIN_P2PKH1 = "pGDqkrmKSB5Gq2W85s5cZXG2m8avFNfHfM"
TEST_P2WPKH1 = "tiop1qw508d6qejxtdg4y5r3zarvary0c5xw7k38tql9"
TXID = "1d1d4e24ed99057e84c3f80fd8fbec79ed9e1acee37da269356ecea000000000"

# Core's decoderawtransaction_asm_sighashtype transaction (mainnet, one P2PKH input).
TX_SIGHASH = (
    "0100000001696a20784a2c70143f634e95227dbdfdf0ecd51647052e70854512235f5986ca010000008a47"
    "304402207174775824bec6c2700023309a168231ec80b82c6069282f5133e6f11cbb04460220570edc55c7c"
    "5da2ca687ebd0372d3546ebc3f810516a002350cac72dfe192dfb014104d3f898e6487787910a690410b7a9"
    "17ef198905c27fb9d3b0a42da12aceae0544fc7088d239d9a48f2828a15a09e84043001f27cc80d162cb954"
    "04e1210161536ffffffff0100e1f505000000001976a914eb6c6e0cdb2d256a32d97b8df1fc75d1920d9bca"
    "88ac00000000")
SIG_ASM = ("304402207174775824bec6c2700023309a168231ec80b82c6069282f5133e6f11cbb04460220570edc55"
           "c7c5da2ca687ebd0372d3546ebc3f810516a002350cac72dfe192dfb[ALL] 04d3f898e6487787910a"
           "690410b7a917ef198905c27fb9d3b0a42da12aceae0544fc7088d239d9a48f2828a15a09e84043001f27"
           "cc80d162cb95404e1210161536")

# ---- independent helpers ----

INPUT_CHARSET = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ "
CHECKSUM_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def descsum_polymod(symbols):
    gen = [0xf5dee51989, 0xa9fdca3312, 0x1bab10e32d, 0x3706b1677a, 0x644d626ffd]
    chk = 1
    for value in symbols:
        top = chk >> 35
        chk = (chk & 0x7ffffffff) << 5 ^ value
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def descsum_expand(s):
    groups, symbols = [], []
    for c in s:
        v = INPUT_CHARSET.find(c)
        symbols.append(v & 31)
        groups.append(v >> 5)
        if len(groups) == 3:
            symbols.append(groups[0] * 9 + groups[1] * 3 + groups[2])
            groups = []
    if len(groups) == 1:
        symbols.append(groups[0])
    elif len(groups) == 2:
        symbols.append(groups[0] * 3 + groups[1])
    return symbols


def descsum_check(desc):
    body, _, checksum = desc.rpartition("#")
    c = descsum_polymod(descsum_expand(body) + [0] * 8) ^ 1
    return checksum == "".join(CHECKSUM_CHARSET[(c >> (5 * (7 - i))) & 31] for i in range(8))


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def b58check(payload):
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    data = payload + sha256d(payload)[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def parse_tx(raw):
    """Minimal BIP144 parser: returns (version, inputs, outputs, locktime, stripped)."""
    pos = 0

    def take(n):
        nonlocal pos
        pos += n
        return raw[pos - n:pos]

    def varint():
        b = take(1)[0]
        if b < 0xfd:
            return b
        return int.from_bytes(take({0xfd: 2, 0xfe: 4, 0xff: 8}[b]), "little")

    version = int.from_bytes(take(4), "little")
    segwit = raw[4] == 0 and raw[5] == 1
    if segwit:
        take(2)
    start_io = pos
    ins = []
    for _ in range(varint()):
        prev = take(32)[::-1].hex()
        n = int.from_bytes(take(4), "little")
        script = take(varint())
        seq = int.from_bytes(take(4), "little")
        ins.append((prev, n, script.hex(), seq))
    outs = []
    for _ in range(varint()):
        value = int.from_bytes(take(8), "little", signed=True)
        outs.append((value, take(varint()).hex()))
    end_io = pos
    if segwit:
        for _ in ins:
            for _ in range(varint()):
                take(varint())
    locktime = take(4)
    assert pos == len(raw)
    stripped = raw[:4] + raw[start_io:end_io] + locktime
    return version, ins, outs, int.from_bytes(locktime, "little"), stripped


def btc(sats):
    return Decimal(sats) / Decimal(100000000)


class RawTransactionTest(IopTestFramework):
    def run_test(self):
        self.node = self.nodes[0]
        self.rpc = self.node.rpc
        self.decoderawtransaction()
        self.decodescript()
        self.createrawtransaction()
        self.validateaddress()
        self.messages()
        self.cli()

    def check_decoded(self, hexstr, d):
        raw = bytes.fromhex(hexstr)
        version, ins, outs, locktime, stripped = parse_tx(raw)
        assert_equal(d["txid"], sha256d(stripped)[::-1].hex())
        assert_equal(d["hash"], sha256d(raw)[::-1].hex())
        weight = 3 * len(stripped) + len(raw)
        assert_equal(d["size"], len(raw))
        assert_equal(d["weight"], weight)
        assert_equal(d["vsize"], (weight + 3) // 4)
        assert_equal(d["version"], version)
        assert_equal(d["locktime"], locktime)
        assert_equal(len(d["vin"]), len(ins))
        assert_equal(len(d["vout"]), len(outs))
        for vin, (prev, n, script, seq) in zip(d["vin"], ins):
            if "coinbase" not in vin:
                assert_equal(vin["txid"], prev)
                assert_equal(vin["vout"], n)
                assert_equal(vin["scriptSig"]["hex"], script)
            assert_equal(vin["sequence"], seq)
        for i, (vout, (value, script)) in enumerate(zip(d["vout"], outs)):
            assert_equal(vout["n"], i)
            assert_equal(round(Decimal(vout["value"]), 8), btc(value))
            assert_equal(vout["scriptPubKey"]["hex"], script)
            assert descsum_check(vout["scriptPubKey"]["desc"]), vout["scriptPubKey"]["desc"]

    def decoderawtransaction(self):
        self.log("decoderawtransaction of Core's vectors")
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                            "shared", "vectors", "bitcoin-core", "tx_valid.json")
        vectors = []
        if os.path.exists(path):
            with open(path) as f:
                vectors = [e[1] for e in json.load(f) if isinstance(e[0], list)]
        legacy = [v for v in vectors if v[8:12] != "0001"][:3]
        witness = [v for v in vectors if v[8:12] == "0001"][:3]
        for hexstr in [TX_SIGHASH] + legacy + witness:
            self.check_decoded(hexstr, self.rpc.decoderawtransaction(hexstr))
        if witness:
            d = self.rpc.decoderawtransaction(witness[0])
            assert any("txinwitness" in vin for vin in d["vin"])
            assert d["size"] > d["vsize"]
            assert_raises_rpc_error(-22, "TX decode failed", self.rpc.decoderawtransaction,
                                    witness[0], False)
            self.check_decoded(witness[0], self.rpc.decoderawtransaction(witness[0], True))

        d = self.rpc.decoderawtransaction(TX_SIGHASH)
        assert_equal(d["vin"][0]["scriptSig"]["asm"], SIG_ASM)
        assert_equal(d["vout"][0]["value"], 1.0)
        spk = d["vout"][0]["scriptPubKey"]
        assert_equal(spk["type"], "pubkeyhash")
        assert_equal(spk["asm"], "OP_DUP OP_HASH160 eb6c6e0cdb2d256a32d97b8df1fc75d1920d9bca "
                                 "OP_EQUALVERIFY OP_CHECKSIG")
        assert spk["address"].startswith("u")
        assert spk["desc"].startswith("addr(" + spk["address"] + ")#")
        assert_equal(list(d.keys()), ["txid", "hash", "version", "size", "vsize", "weight",
                                      "locktime", "vin", "vout"])

        self.log("decoderawtransaction errors")
        for bad in ["", "00", "zz", "0", TX_SIGHASH + "00", TX_SIGHASH[:-2]]:
            assert_raises_rpc_error(-22, "TX decode failed", self.rpc.decoderawtransaction, bad)
        assert_raises_rpc_error(-3, "Wrong type passed", self.rpc.decoderawtransaction, 5)
        assert_raises_rpc_error(-3, "Wrong type passed", self.rpc.decoderawtransaction,
                                TX_SIGHASH, "yes")
        assert_raises_rpc_error(-1, None, self.rpc.decoderawtransaction)

    def decodescript(self):
        self.log("decodescript of standard scripts")
        r = self.rpc.decodescript("76a914" + HASH1 + "88ac")
        assert_equal(r["type"], "pubkeyhash")
        assert_equal(r["address"], P2PKH1)
        assert_equal(r["desc"].split("#")[0], "addr(%s)" % P2PKH1)
        assert descsum_check(r["desc"])
        assert "hex" not in r
        assert r["p2sh"][0] in "LM"
        assert_equal(r["segwit"]["type"], "witness_v0_keyhash")
        assert_equal(r["segwit"]["address"], P2WPKH1)
        assert_equal(r["segwit"]["hex"], "0014" + HASH1)
        assert r["segwit"]["p2sh-segwit"][0] in "LM"
        assert_equal(list(r.keys()), ["asm", "desc", "address", "type", "p2sh", "segwit"])
        assert_equal(list(r["segwit"].keys()), ["asm", "desc", "hex", "address", "type",
                                                "p2sh-segwit"])

        r = self.rpc.decodescript("a914" + HASH1 + "87")
        assert_equal(r["type"], "scripthash")
        assert r["address"][0] in "LM"
        assert "p2sh" not in r and "segwit" not in r

        multi = "5121" + KEY1 + "21" + KEY2 + "52ae"
        r = self.rpc.decodescript(multi)
        assert_equal(r["type"], "multisig")
        assert_equal(r["asm"], "1 %s %s 2 OP_CHECKMULTISIG" % (KEY1, KEY2))
        assert_equal(r["desc"].split("#")[0], "multi(1,%s,%s)" % (KEY1, KEY2))
        assert descsum_check(r["desc"])
        assert "address" not in r
        assert_equal(r["segwit"]["type"], "witness_v0_scripthash")
        assert_equal(r["segwit"]["hex"], "0020" + hashlib.sha256(bytes.fromhex(multi)).hexdigest())
        assert_equal(r["segwit"]["desc"].split("#")[0], "wsh(multi(1,%s,%s))" % (KEY1, KEY2))
        assert descsum_check(r["segwit"]["desc"])
        assert r["segwit"]["address"].startswith("riop1q")
        # An uncompressed key cannot go into segwit.
        r = self.rpc.decodescript("5141" + KEY1_UNCOMPRESSED + "51ae")
        assert "p2sh" in r and "segwit" not in r

        r = self.rpc.decodescript("0014" + HASH1)
        assert_equal(r["type"], "witness_v0_keyhash")
        assert_equal(r["address"], P2WPKH1)
        assert "p2sh" in r and "segwit" not in r

        xonly = KEY1[2:]
        r = self.rpc.decodescript("5120" + xonly)
        assert_equal(r["type"], "witness_v1_taproot")
        assert r["address"].startswith("riop1p")
        assert_equal(r["desc"].split("#")[0], "rawtr(%s)" % xonly)
        assert descsum_check(r["desc"])
        assert "p2sh" not in r and "segwit" not in r

        r = self.rpc.decodescript("21" + KEY1 + "ac")
        assert_equal(r["type"], "pubkey")
        assert "address" not in r
        assert_equal(r["desc"].split("#")[0], "pk(%s)" % KEY1)
        assert_equal(r["segwit"]["address"], P2WPKH1)

        r = self.rpc.decodescript("6a0400010203")
        assert_equal(r["type"], "nulldata")
        assert_equal(r["asm"], "OP_RETURN 50462976")
        assert_equal(r["desc"].split("#")[0], "raw(6a0400010203)")
        assert "p2sh" not in r

        r = self.rpc.decodescript("")
        assert_equal(r["type"], "nonstandard")
        assert_equal(r["asm"], "")
        assert_equal(r["desc"].split("#")[0], "raw()")
        assert descsum_check(r["desc"])
        assert "p2sh" in r and "segwit" in r

        # A script with OP_CHECKSIGADD cannot be wrapped.
        r = self.rpc.decodescript("51ba")
        assert "p2sh" not in r
        assert_raises_rpc_error(-8, "argument must be hexadecimal string (not 'zz')",
                                self.rpc.decodescript, "zz")
        assert_raises_rpc_error(-8, "argument must be hexadecimal string", self.rpc.decodescript, "0")
        assert_raises_rpc_error(-3, "Wrong type passed", self.rpc.decodescript, [])

    def createrawtransaction(self):
        self.log("createrawtransaction round trip")
        inputs = [{"txid": TXID, "vout": 3}, {"txid": TXID, "vout": 0, "sequence": 1000}]
        outputs = [{P2PKH1: 0.00012345}, {P2WPKH1: "20999999.99999999"},
                   {"data": "deadbeef"}]
        hexstr = self.rpc.createrawtransaction(inputs, outputs, 500)
        d = self.rpc.decoderawtransaction(hexstr)
        self.check_decoded(hexstr, d)
        assert_equal(d["version"], 2)
        assert_equal(d["locktime"], 500)
        assert_equal([(i["txid"], i["vout"], i["sequence"]) for i in d["vin"]],
                     [(TXID, 3, 4294967293), (TXID, 0, 1000)])
        assert_equal(d["vout"][0]["scriptPubKey"]["address"], P2PKH1)
        assert_equal(round(Decimal(d["vout"][0]["value"]), 8), Decimal("0.00012345"))
        assert_equal(d["vout"][1]["scriptPubKey"]["address"], P2WPKH1)
        assert_equal(round(Decimal(d["vout"][1]["value"]), 8), Decimal("20999999.99999999"))
        assert_equal(d["vout"][2]["scriptPubKey"]["hex"], "6a04deadbeef")
        assert_equal(d["vout"][2]["value"], 0)
        # Object form, replaceable false: final sequences, or non-final with a locktime.
        d = self.rpc.decoderawtransaction(self.rpc.createrawtransaction(
            [{"txid": TXID, "vout": 1}], {P2PKH1: 1}, 0, False))
        assert_equal(d["vin"][0]["sequence"], 4294967295)
        d = self.rpc.decoderawtransaction(self.rpc.createrawtransaction(
            [{"txid": TXID, "vout": 1}], {P2PKH1: 1}, 1, False))
        assert_equal(d["vin"][0]["sequence"], 4294967294)
        # Named parameters, empty outputs.
        assert_equal(self.rpc.createrawtransaction(inputs=[], outputs={}),
                     "02000000000000000000")
        assert_equal(self.rpc.createrawtransaction(inputs=[], outputs=[]),
                     "02000000000000000000")

        self.log("createrawtransaction errors")
        c = self.rpc.createrawtransaction
        assert_raises_rpc_error(-3, "Wrong type passed", c, "foo", {})
        assert_raises_rpc_error(-3, "JSON value of type string is not of expected type object", c, ["foo"], {})
        assert_raises_rpc_error(-3, "JSON value of type null is not of expected type string", c, [{}], {})
        assert_raises_rpc_error(-8, "txid must be of length 64 (not 3, for 'foo')", c, [{"txid": "foo"}], {})
        bad = "ZZZ7bb8b1697ea987f3b223ba7819250cae33efacb068d23dc24859824a77844"
        assert_raises_rpc_error(-8, "txid must be hexadecimal string (not '%s')" % bad, c, [{"txid": bad}], {})
        assert_raises_rpc_error(-8, "Invalid parameter, missing vout key", c, [{"txid": TXID}], {})
        assert_raises_rpc_error(-8, "Invalid parameter, missing vout key", c, [{"txid": TXID, "vout": "foo"}], {})
        assert_raises_rpc_error(-8, "Invalid parameter, vout cannot be negative", c, [{"txid": TXID, "vout": -1}], {})
        for seq in [-1, 4294967296]:
            assert_raises_rpc_error(-8, "Invalid parameter, sequence number is out of range", c,
                                    [{"txid": TXID, "vout": 1, "sequence": seq}], {P2PKH1: 1})
        assert_raises_rpc_error(-3, "JSON value of type string is not of expected type array", c, [], "foo")
        assert_raises_rpc_error(-8, "Data must be hexadecimal string (not 'foo')", c, [], {"data": "foo"})
        assert_raises_rpc_error(-5, "Invalid IoP address: foo", c, [], {"foo": 0})
        assert_raises_rpc_error(-5, "Invalid IoP address: " + MAIN_P2PKH1, c, [], {MAIN_P2PKH1: 1})
        assert_raises_rpc_error(-3, "Invalid amount", c, [], {P2PKH1: "foo"})
        assert_raises_rpc_error(-3, "Amount out of range", c, [], {P2PKH1: -1})
        assert_raises_rpc_error(-3, "Amount out of range", c, [], {P2PKH1: 21000001})
        assert_raises_rpc_error(-3, "Invalid amount", c, [], {P2PKH1: "0.000000001"})
        assert_raises_rpc_error(-3, "Amount is not a number or string", c, [], {P2PKH1: None})
        assert_raises_rpc_error(-8, "Invalid parameter, duplicated address: " + P2PKH1, c, [],
                                [{P2PKH1: 1}, {P2PKH1: 1}])
        assert_raises_rpc_error(-8, "Invalid parameter, duplicate key: data", c, [],
                                [{"data": "aa"}, {"data": "bb"}])
        assert_raises_rpc_error(-8, "Invalid parameter, key-value pair must contain exactly one key",
                                c, [], [{"a": 1, "b": 2}])
        assert_raises_rpc_error(-8, "Invalid parameter, key-value pair not an object as expected",
                                c, [], [["key-value pair1"], ["2"]])
        assert_raises_rpc_error(-8, "Invalid parameter combination: Sequence number(s) contradict replaceable option",
                                c, [{"txid": TXID, "vout": 0, "sequence": 4294967294}], {}, 0, True)
        assert_raises_rpc_error(-3, "Wrong type passed", c, [], {}, "foo")
        assert_raises_rpc_error(-8, "Invalid parameter, locktime out of range", c, [], {}, -1)
        assert_raises_rpc_error(-8, "Invalid parameter, locktime out of range", c, [], {}, 4294967296)
        assert_raises_rpc_error(-3, "Wrong type passed", c, [], {}, 0, "foo")

    def validateaddress(self):
        self.log("validateaddress")
        v = self.rpc.validateaddress(P2PKH1)
        assert_equal(v, {"isvalid": True, "address": P2PKH1, "scriptPubKey": "76a914" + HASH1 + "88ac",
                         "isscript": False, "iswitness": False})
        v = self.rpc.validateaddress(P2WPKH1.upper())
        assert_equal(v, {"isvalid": True, "address": P2WPKH1, "scriptPubKey": "0014" + HASH1,
                         "isscript": False, "iswitness": True, "witness_version": 0,
                         "witness_program": HASH1})
        tr = self.rpc.decodescript("5120" + KEY1[2:])["address"]
        v = self.rpc.validateaddress(tr)
        assert_equal((v["isvalid"], v["isscript"], v["iswitness"], v["witness_version"]),
                     (True, True, True, 1))
        p2sh = self.rpc.decodescript("51")["p2sh"]
        v = self.rpc.validateaddress(p2sh)
        assert_equal((v["isvalid"], v["isscript"], v["iswitness"]), (True, True, False))

        def invalid(addr, error, locations=None):
            v = self.rpc.validateaddress(addr)
            assert_equal(v["isvalid"], False)
            assert_equal(v["error"], error)
            assert_equal(list(v.keys()), ["isvalid", "error_locations", "error"])
            if locations is not None:
                assert_equal(v["error_locations"], locations)

        invalid(MAIN_P2PKH1, "Invalid or unsupported Base58-encoded address.")
        invalid(P2PKH1[:-1] + ("a" if P2PKH1[-1] != "a" else "b"),
                "Invalid checksum or length of Base58 address (P2PKH or P2SH)")
        invalid("", "Invalid checksum or length of Base58 address (P2PKH or P2SH)")
        invalid("0OIl", "Invalid or unsupported Segwit (Bech32) or Base58 encoding.")
        v = self.rpc.validateaddress(TEST_P2WPKH1)
        assert_equal(v["isvalid"], False)
        # Checksum errors: up to two wrong characters are located, as Core does.
        cs = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

        def typo(s, i):
            return s[:i] + cs[(cs.index(s[i]) + 1) % 32] + s[i + 1:]

        invalid(P2WPKH1[:-1] + "n", "Invalid Bech32 checksum", [len(P2WPKH1) - 1])
        invalid(typo(P2WPKH1, 20), "Invalid Bech32 checksum", [20])
        invalid(typo(typo(P2WPKH1, 10), 30), "Invalid Bech32 checksum", [10, 30])
        invalid(typo(typo(P2WPKH1, 10), 30).upper(), "Invalid Bech32 checksum", [10, 30])
        tr = self.rpc.decodescript("5120" + KEY1[2:])["address"]
        invalid(typo(tr, 7), "Invalid Bech32m checksum", [7])
        v = self.rpc.validateaddress(typo(typo(typo(P2WPKH1, 10), 30), 40))
        assert_equal(v["isvalid"], False)
        last = len(P2WPKH1) - 1
        invalid(P2WPKH1[:-1] + "M", "Invalid character or mixed case", [last])
        invalid("riopqw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m", "Missing separator", [])
        invalid(P2WPKH1[:-1] + "b", "Invalid Base 32 character", [last])
        invalid("riop1" + "q" * 90, "Bech32 string too long", list(range(90, 95)))
        assert_raises_rpc_error(-3, "Wrong type passed", self.rpc.validateaddress, 1)

    def messages(self):
        self.log("signmessagewithprivkey and verifymessage")
        wif = b58check(bytes([76]) + (1).to_bytes(32, "big") + b"\x01")
        assert wif.startswith("c") or wif.startswith("C")
        sig = self.rpc.signmessagewithprivkey(wif, "This is just a test message")
        assert_equal(len(sig), 88)
        assert_equal(sig, self.rpc.signmessagewithprivkey(wif, "This is just a test message"))
        assert_equal(self.rpc.verifymessage(P2PKH1, sig, "This is just a test message"), True)
        assert_equal(self.rpc.verifymessage(P2PKH1, sig, "This is just a test messagf"), False)
        assert_equal(self.rpc.verifymessage(address=P2PKH1, signature=sig,
                                            message="This is just a test message"), True)
        # The uncompressed key has another address; a 65-byte garbage signature is false.
        wif_u = b58check(bytes([76]) + (1).to_bytes(32, "big"))
        sig_u = self.rpc.signmessagewithprivkey(wif_u, "m")
        assert_equal(self.rpc.verifymessage(P2PKH1, sig_u, "m"), False)
        assert_equal(self.rpc.verifymessage(P2PKH1, "A" * 88, "m"), False)
        assert_equal(self.rpc.verifymessage(P2PKH1, "AAAA", "m"), False)
        assert_raises_rpc_error(-5, "Invalid address", self.rpc.verifymessage, "foo", sig, "m")
        assert_raises_rpc_error(-5, "Invalid address", self.rpc.verifymessage, MAIN_P2PKH1, sig, "m")
        assert_raises_rpc_error(-3, "Address does not refer to key", self.rpc.verifymessage,
                                P2WPKH1, sig, "m")
        assert_raises_rpc_error(-3, "Malformed base64 encoding", self.rpc.verifymessage,
                                P2PKH1, "not base64!", "m")
        assert_raises_rpc_error(-5, "Invalid private key", self.rpc.signmessagewithprivkey,
                                "foo", "m")
        main_wif = b58check(bytes([49]) + (1).to_bytes(32, "big") + b"\x01")
        assert_raises_rpc_error(-5, "Invalid private key", self.rpc.signmessagewithprivkey,
                                main_wif, "m")
        self.sig = sig
        self.wif = wif

    def cli(self):
        self.log("the same through iop-cli")
        r = self.node.cli("signmessagewithprivkey", self.wif, "This is just a test message")
        assert_equal(r.returncode, 0)
        assert_equal(r.stdout.strip(), self.sig)
        r = self.node.cli("verifymessage", P2PKH1, self.sig, "This is just a test message")
        assert_equal(r.stdout.strip(), "true")
        r = self.node.cli("verifymessage", P2PKH1, self.sig, "other")
        assert_equal(r.stdout.strip(), "false")
        r = self.node.cli("decoderawtransaction", TX_SIGHASH)
        assert_equal(r.returncode, 0)
        assert_equal(json.loads(r.stdout)["vin"][0]["scriptSig"]["asm"], SIG_ASM)
        r = self.node.cli("decoderawtransaction", "zz")
        assert_equal(r.returncode, 22)
        assert_in("TX decode failed", r.stderr)
        r = self.node.cli("createrawtransaction", '[{"txid":"%s","vout":0}]' % TXID,
                          '[{"%s":0.5}]' % P2PKH1)
        assert_equal(r.returncode, 0)
        d = self.rpc.decoderawtransaction(r.stdout.strip())
        assert_equal(d["vout"][0]["value"], 0.5)
        r = self.node.cli("-named", "createrawtransaction", "inputs=[]", "outputs={}", "locktime=7")
        assert_equal(r.stdout.strip(), "02000000000007000000")
        r = self.node.cli("createrawtransaction", "[]", '{"foo":1}')
        assert_equal(r.returncode, 5)
        r = self.node.cli("validateaddress", P2WPKH1)
        assert_equal(json.loads(r.stdout)["isvalid"], True)


if __name__ == "__main__":
    run(RawTransactionTest)
