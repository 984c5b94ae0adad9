#!/usr/bin/env python3
"""Writes test/data/script_assets_test.json: a few spends in the format of Bitcoin
Core's script_assets_test.json, each with a valid ("success") and an invalid ("failure")
scriptSig/witness for one input.

Independent of the C code on purpose: secp256k1, ECDSA (RFC 6979 nonces, low S),
BIP340 Schnorr signatures, the legacy, BIP143 and BIP341 signature hashes and the
Taproot tweak are written out here in plain Python (standard library only), so the
file checks our interpreter and sighash code against a second implementation. Keys and
nonces are deterministic, so running it again gives the same file.

Before writing, the BIP341 code is checked against the BIP341 wallet vectors when
../shared/vectors/bips/bip341-wallet-vectors.json is found.

Usage: python3 test/data/gen_script_assets.py [output.json]
"""
import json
import os
import sys

# ---- secp256k1 ----

# The curve arithmetic, hashes, RFC 6979 ECDSA and serialization helpers are shared with
# the functional tests (test/functional/test_framework/iop_tx.py), still independent of
# the C code.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "functional",
                                "test_framework"))
from iop_tx import (G, N, P, compact, ecdsa_sign, hash160, hash256,  # noqa: E402
                    point_add, point_mul, ser_bytes, ser_compressed, sha256)


def lift_x(x):
    y2 = (pow(x, 3, P) + 7) % P
    y = pow(y2, (P + 1) // 4, P)
    if y * y % P != y2:
        raise ValueError("not on curve")
    return (x, y if y % 2 == 0 else P - y)


def xonly(pt):
    return pt[0].to_bytes(32, "big")


def tagged(tag, msg):
    t = sha256(tag.encode())
    return sha256(t + t + msg)


def ecdsa_verify(pub, msg32, der):
    # Minimal parser for our own strict DER output.
    rlen = der[3]
    r = int.from_bytes(der[4:4 + rlen], "big")
    s = int.from_bytes(der[6 + rlen:], "big")
    h = int.from_bytes(msg32, "big") % N
    w = pow(s, -1, N)
    pt = point_add(point_mul(G, h * w % N), point_mul(pub, r * w % N))
    return pt is not None and pt[0] % N == r


def schnorr_sign(seckey, msg32, aux=b"\x00" * 32):
    pub = point_mul(G, seckey)
    d = seckey if pub[1] % 2 == 0 else N - seckey
    t = (d ^ int.from_bytes(tagged("BIP0340/aux", aux), "big")).to_bytes(32, "big")
    k0 = int.from_bytes(tagged("BIP0340/nonce", t + xonly(pub) + msg32), "big") % N
    R = point_mul(G, k0)
    k = k0 if R[1] % 2 == 0 else N - k0
    e = int.from_bytes(tagged("BIP0340/challenge", xonly(R) + xonly(pub) + msg32), "big") % N
    return xonly(R) + ((k + e * d) % N).to_bytes(32, "big")


def schnorr_verify(pub_x, msg32, sig):
    Pt = lift_x(int.from_bytes(pub_x, "big"))
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    e = int.from_bytes(tagged("BIP0340/challenge", sig[:32] + pub_x + msg32), "big") % N
    R = point_add(point_mul(G, s), point_mul(Pt, N - e))
    return R is not None and R[1] % 2 == 0 and R[0] == r


def taproot_tweak(seckey, merkle_root):
    """Returns (tweaked seckey, output x-only key, output key parity, internal x-only)."""
    pub = point_mul(G, seckey)
    d = seckey if pub[1] % 2 == 0 else N - seckey
    internal = xonly(pub)
    t = int.from_bytes(tagged("TapTweak", internal + (merkle_root or b"")), "big")
    q = point_add(lift_x(pub[0]), point_mul(G, t))
    return (d + t) % N, xonly(q), q[1] & 1, internal


def leaf_hash(script, version=0xC0):
    return tagged("TapLeaf", bytes([version]) + ser_bytes(script))


def branch_hash(a, b):
    return tagged("TapBranch", min(a, b) + max(a, b))


# ---- Serialization ----

def push(b):
    assert len(b) < 0x4C
    return bytes([len(b)]) + b


class Tx:
    def __init__(self, vin, vout, version=2, locktime=0):
        self.version = version
        self.vin = vin  # [(txid32, n, sequence)]
        self.vout = vout  # [(value, script)]
        self.locktime = locktime

    def serialize(self, script_sigs=None, witnesses=None):
        script_sigs = script_sigs or [b""] * len(self.vin)
        has_wit = witnesses and any(witnesses)
        out = self.version.to_bytes(4, "little")
        if has_wit:
            out += b"\x00\x01"
        out += compact(len(self.vin))
        for (txid, n, seq), ss in zip(self.vin, script_sigs):
            out += txid + n.to_bytes(4, "little") + ser_bytes(ss) + seq.to_bytes(4, "little")
        out += compact(len(self.vout))
        for value, spk in self.vout:
            out += ser_txout(value, spk)
        if has_wit:
            for w in witnesses:
                out += compact(len(w)) + b"".join(ser_bytes(x) for x in w)
        return out + self.locktime.to_bytes(4, "little")


def ser_txout(value, spk):
    return value.to_bytes(8, "little", signed=True) + ser_bytes(spk)


# ---- Signature hashes ----

def sighash_legacy_all(tx, idx, script_code):
    sigs = [script_code if i == idx else b"" for i in range(len(tx.vin))]
    return hash256(tx.serialize(sigs) + (1).to_bytes(4, "little"))


def sighash_bip143_all(tx, idx, script_code, amount):
    prevouts = b"".join(t + n.to_bytes(4, "little") for t, n, _ in tx.vin)
    seqs = b"".join(s.to_bytes(4, "little") for _, _, s in tx.vin)
    outs = b"".join(ser_txout(v, s) for v, s in tx.vout)
    txid, n, seq = tx.vin[idx]
    msg = (tx.version.to_bytes(4, "little") + hash256(prevouts) + hash256(seqs) + txid +
           n.to_bytes(4, "little") + ser_bytes(script_code) +
           amount.to_bytes(8, "little") + seq.to_bytes(4, "little") + hash256(outs) +
           tx.locktime.to_bytes(4, "little") + (1).to_bytes(4, "little"))
    return hash256(msg)


def sighash_taproot(tx, idx, spent, hash_type, annex=None, leaf=None, codesep_pos=0xFFFFFFFF):
    """spent: [(value, spk)] for every input. leaf: tapleaf hash for script path."""
    out_type = 1 if hash_type == 0 else hash_type & 3
    acp = hash_type & 0x80
    msg = b"\x00" + bytes([hash_type]) + tx.version.to_bytes(4, "little")
    msg += tx.locktime.to_bytes(4, "little")
    if not acp:
        msg += sha256(b"".join(t + n.to_bytes(4, "little") for t, n, _ in tx.vin))
        msg += sha256(b"".join(v.to_bytes(8, "little") for v, _ in spent))
        msg += sha256(b"".join(ser_bytes(s) for _, s in spent))
        msg += sha256(b"".join(s.to_bytes(4, "little") for _, _, s in tx.vin))
    if out_type == 1:
        msg += sha256(b"".join(ser_txout(v, s) for v, s in tx.vout))
    msg += bytes([(2 if leaf is not None else 0) + (1 if annex is not None else 0)])
    if acp:
        txid, n, seq = tx.vin[idx]
        msg += txid + n.to_bytes(4, "little") + ser_txout(*spent[idx]) + seq.to_bytes(4, "little")
    else:
        msg += idx.to_bytes(4, "little")
    if annex is not None:
        msg += sha256(ser_bytes(annex))
    if out_type == 3:
        msg += sha256(ser_txout(*tx.vout[idx]))
    if leaf is not None:
        msg += leaf + b"\x00" + codesep_pos.to_bytes(4, "little")
    return tagged("TapSighash", msg)


# ---- Self-check against BIP341's vectors ----

def parse_tx(raw):
    pos = 0

    def take(n):
        nonlocal pos
        b = raw[pos:pos + n]
        pos += n
        return b

    def var():
        first = take(1)[0]
        if first < 0xFD:
            return first
        return int.from_bytes(take({0xFD: 2, 0xFE: 4, 0xFF: 8}[first]), "little")

    version = int.from_bytes(take(4), "little")
    vin = []
    for _ in range(var()):
        txid, n = take(32), int.from_bytes(take(4), "little")
        take(var())
        vin.append((txid, n, int.from_bytes(take(4), "little")))
    vout = []
    for _ in range(var()):
        value = int.from_bytes(take(8), "little")
        vout.append((value, take(var())))
    return Tx(vin, vout, version, int.from_bytes(take(4), "little"))


def self_check():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "..", "shared", "vectors", "bips",
                        "bip341-wallet-vectors.json")
    if not os.path.exists(path):
        print("note: BIP341 vectors not found, self-check skipped", file=sys.stderr)
        return
    with open(path) as f:
        vec = json.load(f)["keyPathSpending"][0]
    tx = parse_tx(bytes.fromhex(vec["given"]["rawUnsignedTx"]))
    spent = [(u["amountSats"], bytes.fromhex(u["scriptPubKey"]))
             for u in vec["given"]["utxosSpent"]]
    for case in vec["inputSpending"]:
        g = case["given"]
        h = sighash_taproot(tx, g["txinIndex"], spent, g["hashType"])
        assert h.hex() == case["intermediary"]["sigHash"], "BIP341 sighash mismatch"
        mr = bytes.fromhex(g["merkleRoot"]) if g["merkleRoot"] else None
        sk, _, _, _ = taproot_tweak(int(g["internalPrivkey"], 16), mr)
        sig = schnorr_sign(sk, h) + (bytes([g["hashType"]]) if g["hashType"] else b"")
        assert sig.hex() == case["expected"]["witness"][0], "BIP341 signature mismatch"


# ---- The cases ----

ALL_FLAGS = "P2SH,DERSIG,NULLDUMMY,CHECKLOCKTIMEVERIFY,CHECKSEQUENCEVERIFY,WITNESS,TAPROOT"
OP_CHECKSIG, OP_CHECKMULTISIG, OP_CODESEPARATOR = 0xAC, 0xAE, 0xAB


def key(i):
    return int.from_bytes(sha256(b"iop script assets key %d" % i), "big") % N


def outpoint(label):
    return sha256(label.encode())


def p2pkh(pub):
    return b"\x76\xa9" + push(hash160(ser_compressed(pub))) + b"\x88\xac"


def case(comment, tx, spent, idx, success, failure, final=False, flags=ALL_FLAGS):
    obj = {
        "tx": tx.serialize().hex(),
        "prevouts": [ser_txout(v, s).hex() for v, s in spent],
        "index": idx,
        "flags": flags,
        "comment": comment,
        "success": {"scriptSig": success[0].hex(), "witness": [w.hex() for w in success[1]]},
        "failure": {"scriptSig": failure[0].hex(), "witness": [w.hex() for w in failure[1]]},
    }
    if final:
        obj["final"] = True
    return obj


def build():
    tests = []
    outs = [(50_000, p2pkh(point_mul(G, key(90)))), (12_345, bytes.fromhex("6a04696f7021"))]

    # 1. Legacy P2PKH, valid under every flag set.
    sk, wrong = key(1), key(2)
    pub = point_mul(G, sk)
    tx = Tx([(outpoint("p2pkh"), 0, 0xFFFFFFFF)], outs, version=1)
    spent = [(100_000, p2pkh(pub))]
    h = sighash_legacy_all(tx, 0, spent[0][1])
    sig = ecdsa_sign(sk, h)
    assert ecdsa_verify(pub, h, sig)
    good = push(sig + b"\x01") + push(ser_compressed(pub))
    bad = push(ecdsa_sign(wrong, h) + b"\x01") + push(ser_compressed(pub))
    tests.append(case("P2PKH spend; failure signs with another key", tx, spent, 0,
                      (good, []), (bad, []), final=True))

    # 2. P2WPKH; the failure's signature commits to the wrong amount.
    sk = key(3)
    pub = point_mul(G, sk)
    pkh = hash160(ser_compressed(pub))
    tx = Tx([(outpoint("p2wpkh-a"), 1, 0xFFFFFFFD), (outpoint("p2wpkh-b"), 0, 0xFFFFFFFF)],
            outs)
    spent = [(70_000, b"\x00\x14" + pkh), (80_000, b"\x00\x14" + pkh)]
    code = b"\x76\xa9" + push(pkh) + b"\x88\xac"
    h = sighash_bip143_all(tx, 1, code, 80_000)
    h_wrong = sighash_bip143_all(tx, 1, code, 80_001)
    tests.append(case("P2WPKH spend of input 1; failure signs for the wrong amount", tx, spent,
                      1, (b"", [ecdsa_sign(sk, h) + b"\x01", ser_compressed(pub)]),
                      (b"", [ecdsa_sign(sk, h_wrong) + b"\x01", ser_compressed(pub)])))

    # 3. P2WSH 1-of-2 CHECKMULTISIG; the failure has a non-null dummy (NULLDUMMY).
    sk1, sk2 = key(4), key(5)
    ws = (b"\x51" + push(ser_compressed(point_mul(G, sk1))) +
          push(ser_compressed(point_mul(G, sk2))) + b"\x52" + bytes([OP_CHECKMULTISIG]))
    tx = Tx([(outpoint("p2wsh"), 2, 0xFFFFFFFF)], outs)
    spent = [(90_000, b"\x00\x20" + sha256(ws))]
    sig = ecdsa_sign(sk2, sighash_bip143_all(tx, 0, ws, 90_000)) + b"\x01"
    tests.append(case("P2WSH 1-of-2 multisig; failure has a non-null dummy", tx, spent, 0,
                      (b"", [b"", sig, ws]), (b"", [b"\x01", sig, ws])))

    # 4. P2SH-P2WPKH; the failure's scriptSig pushes more than the redeem script.
    sk = key(6)
    pub = point_mul(G, sk)
    redeem = b"\x00\x14" + hash160(ser_compressed(pub))
    tx = Tx([(outpoint("p2sh-p2wpkh"), 0, 0xFFFFFFFF)], outs)
    spent = [(60_000, b"\xa9" + push(hash160(redeem)) + b"\x87")]
    code = b"\x76\xa9" + push(hash160(ser_compressed(pub))) + b"\x88\xac"
    wit = [ecdsa_sign(sk, sighash_bip143_all(tx, 0, code, 60_000)) + b"\x01",
           ser_compressed(pub)]
    tests.append(case("P2SH-P2WPKH; failure adds a push to the scriptSig", tx, spent, 0,
                      (push(redeem), wit), (b"\x00" + push(redeem), wit)))

    # Taproot: three inputs (two Taproot, one P2WPKH) so the BIP341 hashes cover several.
    ka, kb = key(7), key(8)
    sk_a, qa, _, _ = taproot_tweak(ka, None)
    sk_b, qb, _, _ = taproot_tweak(kb, None)
    tx = Tx([(outpoint("tr-a"), 0, 0xFFFFFFFF), (outpoint("tr-b"), 5, 0xFFFFFFFE),
             (outpoint("tr-c"), 1, 0)], outs + [(7_000, b"\x51\x20" + qb)], locktime=600_000)
    spent = [(111_111, b"\x51\x20" + qa), (222_222, b"\x51\x20" + qb),
             (333_333, b"\x00\x14" + hash160(ser_compressed(point_mul(G, key(9)))))]

    # 5. Key path, SIGHASH_DEFAULT; the failure flips a bit of the signature.
    h = sighash_taproot(tx, 0, spent, 0)
    sig = schnorr_sign(sk_a, h)
    assert schnorr_verify(qa, h, sig)
    badsig = sig[:63] + bytes([sig[63] ^ 1])
    tests.append(case("Taproot key path, SIGHASH_DEFAULT; failure flips a signature bit", tx,
                      spent, 0, (b"", [sig]), (b"", [badsig])))

    # 6. Key path, SIGHASH_SINGLE|ANYONECANPAY; the failure relabels it SIGHASH_SINGLE.
    h = sighash_taproot(tx, 1, spent, 0x83)
    sig = schnorr_sign(sk_b, h)
    tests.append(case("Taproot key path, SINGLE|ANYONECANPAY; failure claims SINGLE", tx,
                      spent, 1, (b"", [sig + b"\x83"]), (b"", [sig + b"\x03"])))

    # 7. Key path with an annex; the failure changes the annex after signing.
    annex = b"\x50\x01\x02\x03"
    h = sighash_taproot(tx, 0, spent, 0x01, annex=annex)
    sig = schnorr_sign(sk_a, h) + b"\x01"
    tests.append(case("Taproot key path with annex; failure alters the annex", tx, spent, 0,
                      (b"", [sig, annex]), (b"", [sig, b"\x50\x01\x02\x04"])))

    # 8/9. Script path: two CHECKSIG leaves, the second behind an OP_CODESEPARATOR.
    kl1, kl2, kint = key(10), key(11), key(12)
    leaf1 = push(xonly(point_mul(G, kl1))) + bytes([OP_CHECKSIG])
    leaf2 = bytes([OP_CODESEPARATOR]) + push(xonly(point_mul(G, kl2))) + bytes([OP_CHECKSIG])
    l1, l2 = leaf_hash(leaf1), leaf_hash(leaf2)
    root = branch_hash(l1, l2)
    _, q, parity, internal = taproot_tweak(kint, root)
    tx = Tx([(outpoint("tapscript"), 0, 0xFFFFFFFF)], outs)
    spent = [(444_444, b"\x51\x20" + q)]
    cb1 = bytes([0xC0 | parity]) + internal + l2
    cb2 = bytes([0xC0 | parity]) + internal + l1
    good = schnorr_sign(kl1, sighash_taproot(tx, 0, spent, 0, leaf=l1))
    wrong_leaf = schnorr_sign(kl1, sighash_taproot(tx, 0, spent, 0, leaf=l2))
    tests.append(case("Tapscript CHECKSIG leaf; failure signs for the other leaf", tx, spent,
                      0, (b"", [good, leaf1, cb1]), (b"", [wrong_leaf, leaf1, cb1])))
    good = schnorr_sign(kl2, sighash_taproot(tx, 0, spent, 0, leaf=l2, codesep_pos=0))
    no_sep = schnorr_sign(kl2, sighash_taproot(tx, 0, spent, 0, leaf=l2))
    tests.append(case("Tapscript after OP_CODESEPARATOR (position 0); failure signs as if "
                      "none was executed", tx, spent, 0, (b"", [good, leaf2, cb2]),
                      (b"", [no_sep, leaf2, cb2])))
    return tests


def main():
    self_check()
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "script_assets_test.json")
    with open(out, "w") as f:
        json.dump(build(), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
