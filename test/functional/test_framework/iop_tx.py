"""Independent transaction tools for functional tests (Python standard library only).

secp256k1 ECDSA (RFC 6979 nonces, low S) and the BIP143 signature hash, copied from
test/data/gen_script_assets.py; a bech32 encoder (BIP173) for P2WPKH addresses; a
transaction and block parser. Nothing here asks iopd for anything, so tests can build
and sign spends that iopd must then accept."""
import hashlib
import hmac

# ---- secp256k1 ----

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def point_mul(pt, k):
    result = None
    for i in range(256, -1, -1):
        result = point_add(result, result)
        if (k >> i) & 1:
            result = point_add(result, pt)
    return result


def ser_compressed(pt):
    return bytes([2 + (pt[1] & 1)]) + pt[0].to_bytes(32, "big")


def pubkey(seckey):
    return ser_compressed(point_mul(G, seckey))


def sha256(b):
    return hashlib.sha256(b).digest()


def hash256(b):
    return sha256(sha256(b))


def hash160(b):
    return hashlib.new("ripemd160", sha256(b)).digest()


def ecdsa_sign(seckey, msg32):
    """RFC 6979 deterministic nonce, low-S, DER encoded (without hash type)."""
    x = seckey.to_bytes(32, "big")
    h = int.from_bytes(msg32, "big") % N
    h1 = h.to_bytes(32, "big")
    v = b"\x01" * 32
    k = b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h1, "sha256").digest()
    v = hmac.new(k, v, "sha256").digest()
    k = hmac.new(k, v + b"\x01" + x + h1, "sha256").digest()
    v = hmac.new(k, v, "sha256").digest()
    while True:
        v = hmac.new(k, v, "sha256").digest()
        nonce = int.from_bytes(v, "big")
        if 1 <= nonce < N:
            r = point_mul(G, nonce)[0] % N
            s = pow(nonce, -1, N) * (h + r * seckey) % N
            if r and s:
                break
        k = hmac.new(k, v + b"\x00", "sha256").digest()
        v = hmac.new(k, v, "sha256").digest()
    if s > N // 2:
        s = N - s

    def der_int(i):
        b = i.to_bytes(33, "big").lstrip(b"\x00")
        if b[0] & 0x80:
            b = b"\x00" + b
        return b"\x02" + bytes([len(b)]) + b

    body = der_int(r) + der_int(s)
    return b"\x30" + bytes([len(body)]) + body


# ---- bech32 (BIP173) ----

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _convertbits(data, frombits, tobits):
    acc = bits = 0
    out = []
    for v in data:
        acc = (acc << frombits) | v
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & ((1 << tobits) - 1))
    if bits:
        out.append((acc << (tobits - bits)) & ((1 << tobits) - 1))
    return out


def bech32_segwit_v0(hrp, program):
    data = [0] + _convertbits(program, 8, 5)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in data + checksum)


def p2wpkh_script(pub):
    return b"\x00\x14" + hash160(pub)


def p2wpkh_address(pub, hrp="riop"):
    return bech32_segwit_v0(hrp, hash160(pub))


# ---- serialization ----

def compact(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def ser_bytes(b):
    return compact(len(b)) + b


def ser_txout(value, spk):
    return value.to_bytes(8, "little", signed=True) + ser_bytes(spk)


class Tx:
    """vin: [(txid bytes in internal order, n, sequence)], vout: [(value, script)]."""

    def __init__(self, vin, vout, version=2, locktime=0):
        self.version = version
        self.vin = vin
        self.vout = vout
        self.locktime = locktime
        self.script_sigs = [b""] * len(vin)
        self.witnesses = [[] for _ in vin]

    def serialize(self, with_witness=True):
        has_wit = with_witness and any(self.witnesses)
        out = self.version.to_bytes(4, "little")
        if has_wit:
            out += b"\x00\x01"
        out += compact(len(self.vin))
        for (txid, n, seq), ss in zip(self.vin, self.script_sigs):
            out += txid + n.to_bytes(4, "little") + ser_bytes(ss) + seq.to_bytes(4, "little")
        out += compact(len(self.vout))
        for value, spk in self.vout:
            out += ser_txout(value, spk)
        if has_wit:
            for w in self.witnesses:
                out += compact(len(w)) + b"".join(ser_bytes(x) for x in w)
        return out + self.locktime.to_bytes(4, "little")

    def hex(self):
        return self.serialize().hex()

    def txid(self):
        return hash256(self.serialize(False))[::-1].hex()

    def vsize(self):
        base = len(self.serialize(False))
        total = len(self.serialize(True))
        return (3 * base + total + 3) // 4


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


def sign_p2wpkh(tx, idx, seckey, amount):
    """Signs input idx (a P2WPKH output of seckey worth amount) with SIGHASH_ALL."""
    pub = pubkey(seckey)
    script_code = b"\x76\xa9\x14" + hash160(pub) + b"\x88\xac"
    sig = ecdsa_sign(seckey, sighash_bip143_all(tx, idx, script_code, amount)) + b"\x01"
    tx.witnesses[idx] = [sig, pub]


def spend_p2wpkh(prev_txid_hex, n, amount, seckey, outputs, sequence=0xfffffffd, locktime=0):
    """A signed transaction spending one P2WPKH output of seckey to outputs
    [(value, script)]."""
    tx = Tx([(bytes.fromhex(prev_txid_hex)[::-1], n, sequence)], outputs, locktime=locktime)
    sign_p2wpkh(tx, 0, seckey, amount)
    return tx


# ---- parsing ----

class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, n):
        if self.p + n > len(self.d):
            raise ValueError("truncated")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def u32(self):
        return int.from_bytes(self.take(4), "little")

    def var(self):
        b = self.take(1)[0]
        if b < 0xFD:
            return b
        return int.from_bytes(self.take({0xFD: 2, 0xFE: 4, 0xFF: 8}[b]), "little")


def parse_tx(r):
    """Reads one transaction from Reader r; returns a dict with txid, vin, vout and the
    raw (witness) bytes."""
    start = r.p
    version = r.u32()
    segwit = False
    if r.d[r.p] == 0 and r.d[r.p + 1] == 1:
        r.take(2)
        segwit = True
    vin = []
    for _ in range(r.var()):
        txid = r.take(32)
        n = r.u32()
        ss = r.take(r.var())
        seq = r.u32()
        vin.append((txid, n, ss, seq))
    vout = []
    for _ in range(r.var()):
        value = int.from_bytes(r.take(8), "little", signed=True)
        vout.append((value, r.take(r.var())))
    wits = []
    if segwit:
        for _ in vin:
            wits.append([r.take(r.var()) for _ in range(r.var())])
    locktime = r.u32()
    t = Tx([(a, b, d) for a, b, _, d in vin], vout, version, locktime)
    t.script_sigs = [c for _, _, c, _ in vin]
    t.witnesses = wits or [[] for _ in vin]
    return {"tx": t, "txid": t.txid(), "raw": r.d[start:r.p], "vin": vin, "vout": vout,
            "witnesses": t.witnesses}


def parse_block(raw):
    """(header bytes, [parsed transactions]) of a serialized block."""
    r = Reader(raw)
    header = r.take(80)
    txs = [parse_tx(r) for _ in range(r.var())]
    if r.p != len(raw):
        raise ValueError("trailing data")
    return header, txs


def block_hash(header):
    return hash256(header)[::-1].hex()


def merkle_root(txids_hex):
    level = [bytes.fromhex(t)[::-1] for t in txids_hex]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hash256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def bip34_push(height):
    """CScript() << height."""
    if height == 0:
        return b"\x00"
    if 1 <= height <= 16:
        return bytes([0x50 + height])
    b = height.to_bytes((height.bit_length() + 8) // 8, "little")
    while len(b) > 1 and b[-1] == 0 and not (b[-2] & 0x80):
        b = b[:-1]
    return bytes([len(b)]) + b


# ---- node helpers ----

def amount_sat(x):
    """A JSON amount (float) in satoshis."""
    return int(round(x * 100000000))


def mine_coinbase(rpc, address):
    """Mines one block to address through generateblock(submit=false) and submitblock,
    returning (block hash, coinbase txid, coinbase value)."""
    res = rpc.generateblock(address, [], False)
    header, txs = parse_block(bytes.fromhex(res["hex"]))
    assert block_hash(header) == res["hash"]
    assert rpc.submitblock(res["hex"]) is None
    cb = txs[0]
    return res["hash"], cb["txid"], cb["vout"][0][0]
