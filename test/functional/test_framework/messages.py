"""Bitcoin's P2P messages (protocol 70016) for iopd's functional tests, standard library only.

Every message class has a `msgtype` (the command, as bytes), serialize() -> bytes and
deserialize(f) reading from a BytesIO-like object. Hashes are kept as Python ints
(uint256, little-endian on the wire, shown big-endian in hex like the RPC does);
`hash` attributes hold the RPC hex form.

Also here: blocks and transactions with their hashes, the merkle root and the witness
commitment, and create_block()/create_coinbase() which build and solve a regtest block
on top of any tip, so tests can feed the node chains it has never seen."""
import copy
import hashlib
import random
import struct
import time
from io import BytesIO

from .iop_tx import bip34_push

# ---- network constants ----

MAGIC_REGTEST = bytes.fromhex("fcc3d8b2")   # src/chain/chainparams.c "regtest"
MAGIC_BTC_MAIN = bytes.fromhex("f9beb4d9")
REGTEST_P2P_PORT = 14877
REGTEST_BITS = 0x207fffff                   # regtest powLimit in compact form
COIN = 100000000
REGTEST_SUBSIDY = 10 * COIN
REGTEST_HALVING = 150

PROTOCOL_VERSION = 70016
MIN_PEER_PROTO_VERSION = 31800
MAX_PROTOCOL_MESSAGE_LENGTH = 4000000
MAX_HEADERS_RESULTS = 2000
MAX_INV_SZ = 50000
MAX_LOCATOR_SZ = 101
MAX_SUBVERSION_LENGTH = 256
MY_SUBVERSION = b"/pyp2p:0.1/"

NODE_NONE = 0
NODE_NETWORK = 1 << 0
NODE_BLOOM = 1 << 2
NODE_WITNESS = 1 << 3
NODE_COMPACT_FILTERS = 1 << 6
NODE_NETWORK_LIMITED = 1 << 10
NODE_P2P_V2 = 1 << 11
NODE_IOP_SERVICES = 1 << 24

MSG_TX = 1
MSG_BLOCK = 2
MSG_FILTERED_BLOCK = 3
MSG_CMPCT_BLOCK = 4
MSG_WTX = 5
MSG_WITNESS_FLAG = 1 << 30
MSG_WITNESS_TX = MSG_TX | MSG_WITNESS_FLAG
MSG_WITNESS_BLOCK = MSG_BLOCK | MSG_WITNESS_FLAG

WITNESS_COMMITMENT_HEADER = bytes.fromhex("aa21a9ed")


# ---- primitives ----

def sha256(b):
    return hashlib.sha256(b).digest()


def hash256(b):
    """Double SHA-256."""
    return sha256(sha256(b))


def checksum(payload):
    return hash256(payload)[:4]


def _read(f, n):
    b = f.read(n)
    if len(b) != n:
        raise ValueError("truncated: wanted %d bytes, got %d" % (n, len(b)))
    return b


def ser_compact_size(n):
    if n < 0:
        raise ValueError("negative size")
    if n < 0xfd:
        return struct.pack("<B", n)
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xffffffff:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def deser_compact_size(f):
    n = _read(f, 1)[0]
    if n == 0xfd:
        n = struct.unpack("<H", _read(f, 2))[0]
    elif n == 0xfe:
        n = struct.unpack("<I", _read(f, 4))[0]
    elif n == 0xff:
        n = struct.unpack("<Q", _read(f, 8))[0]
    return n


def ser_string(b):
    return ser_compact_size(len(b)) + b


def deser_string(f):
    return _read(f, deser_compact_size(f))


def ser_uint256(u):
    return u.to_bytes(32, "little")


def deser_uint256(f):
    return int.from_bytes(_read(f, 32), "little")


def uint256_from_hex(h):
    """An RPC-style (big-endian) hex hash as an int."""
    return int(h, 16)


def uint256_to_hex(u):
    return "%064x" % u


def ser_vector(items, method="serialize"):
    return ser_compact_size(len(items)) + b"".join(getattr(i, method)() for i in items)


def deser_vector(f, cls, method="deserialize"):
    out = []
    for _ in range(deser_compact_size(f)):
        obj = cls()
        getattr(obj, method)(f)
        out.append(obj)
    return out


def ser_uint256_vector(items):
    return ser_compact_size(len(items)) + b"".join(ser_uint256(i) for i in items)


def deser_uint256_vector(f):
    return [deser_uint256(f) for _ in range(deser_compact_size(f))]


def from_hex(obj, hexstring):
    obj.deserialize(BytesIO(bytes.fromhex(hexstring)))
    return obj


def to_hex(obj):
    return obj.serialize().hex()


# ---- addresses and inventory ----

IPV4_PREFIX = b"\x00" * 10 + b"\xff\xff"


class CAddress:
    """A network address with services (and a time, except inside version)."""
    NET_IPV4, NET_IPV6, NET_TORV3, NET_I2P, NET_CJDNS = 1, 2, 4, 5, 6
    ADDRV2_LEN = {1: 4, 2: 16, 4: 32, 5: 32, 6: 16}

    def __init__(self, ip="0.0.0.0", port=0, services=NODE_NONE, time_=0):
        self.time = time_
        self.services = services
        self.net = self.NET_IPV4
        self.ip = ip
        self.port = port

    def _ip_bytes16(self):
        if self.net == self.NET_IPV4:
            return IPV4_PREFIX + bytes(int(x) for x in self.ip.split("."))
        if self.net == self.NET_IPV6:
            return self.ip if isinstance(self.ip, bytes) else bytes(16)
        raise ValueError("no v1 form for network %d" % self.net)

    def _set_ip16(self, raw):
        if raw[:12] == IPV4_PREFIX:
            self.net = self.NET_IPV4
            self.ip = ".".join(str(x) for x in raw[12:])
        else:
            self.net = self.NET_IPV6
            self.ip = raw

    def serialize(self, with_time=True):
        out = struct.pack("<I", self.time) if with_time else b""
        return (out + struct.pack("<Q", self.services) + self._ip_bytes16() +
                struct.pack(">H", self.port))

    def deserialize(self, f, with_time=True):
        if with_time:
            self.time = struct.unpack("<I", _read(f, 4))[0]
        self.services = struct.unpack("<Q", _read(f, 8))[0]
        self._set_ip16(_read(f, 16))
        self.port = struct.unpack(">H", _read(f, 2))[0]

    def serialize_v2(self):
        if self.net == self.NET_IPV4:
            raw = bytes(int(x) for x in self.ip.split("."))
        else:
            raw = self.ip
        return (struct.pack("<I", self.time) + ser_compact_size(self.services) +
                bytes([self.net]) + ser_string(raw) + struct.pack(">H", self.port))

    def deserialize_v2(self, f):
        self.time = struct.unpack("<I", _read(f, 4))[0]
        self.services = deser_compact_size(f)
        self.net = _read(f, 1)[0]
        raw = deser_string(f)
        self.ip = ".".join(str(x) for x in raw) if self.net == self.NET_IPV4 else raw
        self.port = struct.unpack(">H", _read(f, 2))[0]

    def __repr__(self):
        return "CAddress(%r:%d services=%x)" % (self.ip, self.port, self.services)


class CInv:
    NAMES = {0: "Error", MSG_TX: "TX", MSG_BLOCK: "Block", MSG_FILTERED_BLOCK: "FilteredBlock",
             MSG_CMPCT_BLOCK: "CompactBlock", MSG_WTX: "WTX", MSG_WITNESS_TX: "WitnessTx",
             MSG_WITNESS_BLOCK: "WitnessBlock"}

    def __init__(self, t=0, h=0):
        self.type = t
        self.hash = h

    def serialize(self):
        return struct.pack("<I", self.type) + ser_uint256(self.hash)

    def deserialize(self, f):
        self.type = struct.unpack("<I", _read(f, 4))[0]
        self.hash = deser_uint256(f)

    def __eq__(self, other):
        return isinstance(other, CInv) and (self.type, self.hash) == (other.type, other.hash)

    def __hash__(self):
        return hash((self.type, self.hash))

    def __repr__(self):
        return "CInv(%s %064x)" % (self.NAMES.get(self.type, self.type), self.hash)


class CBlockLocator:
    def __init__(self, have=None, version=PROTOCOL_VERSION):
        self.version = version
        self.have = list(have or [])

    def serialize(self):
        return struct.pack("<I", self.version) + ser_uint256_vector(self.have)

    def deserialize(self, f):
        self.version = struct.unpack("<I", _read(f, 4))[0]
        self.have = deser_uint256_vector(f)


# ---- transactions ----

class COutPoint:
    def __init__(self, h=0, n=0):
        self.hash = h
        self.n = n

    def serialize(self):
        return ser_uint256(self.hash) + struct.pack("<I", self.n)

    def deserialize(self, f):
        self.hash = deser_uint256(f)
        self.n = struct.unpack("<I", _read(f, 4))[0]


class CTxIn:
    def __init__(self, prevout=None, script_sig=b"", sequence=0xffffffff):
        self.prevout = prevout or COutPoint()
        self.script_sig = script_sig
        self.sequence = sequence

    def serialize(self):
        return (self.prevout.serialize() + ser_string(self.script_sig) +
                struct.pack("<I", self.sequence))

    def deserialize(self, f):
        self.prevout = COutPoint()
        self.prevout.deserialize(f)
        self.script_sig = deser_string(f)
        self.sequence = struct.unpack("<I", _read(f, 4))[0]


class CTxOut:
    def __init__(self, value=0, script_pubkey=b""):
        self.value = value
        self.script_pubkey = script_pubkey

    def serialize(self):
        return struct.pack("<q", self.value) + ser_string(self.script_pubkey)

    def deserialize(self, f):
        self.value = struct.unpack("<q", _read(f, 8))[0]
        self.script_pubkey = deser_string(f)


class CTransaction:
    """A transaction in BIP144 form. witness is one list of stack items per input
    (empty lists when there is none)."""

    def __init__(self, tx=None):
        self.version = 2
        self.vin = []
        self.vout = []
        self.witness = []
        self.locktime = 0
        if tx is not None:
            self.version, self.locktime = tx.version, tx.locktime
            self.vin = copy.deepcopy(tx.vin)
            self.vout = copy.deepcopy(tx.vout)
            self.witness = copy.deepcopy(tx.witness)

    def has_witness(self):
        return any(len(w) for w in self.witness)

    def serialize(self, with_witness=True):
        wit = with_witness and self.has_witness()
        out = struct.pack("<i", self.version)
        if wit:
            out += b"\x00\x01"
        out += ser_vector(self.vin) + ser_vector(self.vout)
        if wit:
            for i in range(len(self.vin)):
                stack = self.witness[i] if i < len(self.witness) else []
                out += ser_compact_size(len(stack)) + b"".join(ser_string(x) for x in stack)
        return out + struct.pack("<I", self.locktime)

    def serialize_without_witness(self):
        return self.serialize(False)

    def deserialize(self, f):
        self.version = struct.unpack("<i", _read(f, 4))[0]
        self.vin = deser_vector(f, CTxIn)
        flags = 0
        if not self.vin:
            # Either a transaction without inputs or the BIP144 marker; the flag follows.
            flags = _read(f, 1)[0]
            if flags != 0:
                self.vin = deser_vector(f, CTxIn)
                self.vout = deser_vector(f, CTxOut)
        else:
            self.vout = deser_vector(f, CTxOut)
        if flags == 0 and not self.vin:
            self.vout = []
        self.witness = [[] for _ in self.vin]
        if flags & 1:
            for i in range(len(self.vin)):
                self.witness[i] = [deser_string(f) for _ in range(deser_compact_size(f))]
            flags ^= 1
        if flags:
            raise ValueError("unknown transaction flags")
        self.locktime = struct.unpack("<I", _read(f, 4))[0]

    @classmethod
    def from_bytes(cls, raw):
        tx = cls()
        f = BytesIO(raw)
        tx.deserialize(f)
        if f.read(1):
            raise ValueError("trailing bytes after transaction")
        return tx

    @classmethod
    def from_iop_tx(cls, t):
        """From test_framework.iop_tx.Tx (or anything with serialize())."""
        return cls.from_bytes(t.serialize())

    @property
    def txid_int(self):
        return int.from_bytes(hash256(self.serialize(False)), "little")

    @property
    def wtxid_int(self):
        return int.from_bytes(hash256(self.serialize(True)), "little")

    @property
    def txid(self):
        return uint256_to_hex(self.txid_int)

    @property
    def wtxid(self):
        return uint256_to_hex(self.wtxid_int)

    @property
    def hash(self):
        return self.txid

    def weight(self):
        return 3 * len(self.serialize(False)) + len(self.serialize(True))

    def __repr__(self):
        return "CTransaction(txid=%s vin=%d vout=%d)" % (self.txid, len(self.vin), len(self.vout))


# ---- blocks ----

class CBlockHeader:
    def __init__(self, header=None):
        if header is None:
            self.version = 0x20000000
            self.prev = 0
            self.merkle_root = 0
            self.time = 0
            self.bits = REGTEST_BITS
            self.nonce = 0
        else:
            self.version, self.prev = header.version, header.prev
            self.merkle_root, self.time = header.merkle_root, header.time
            self.bits, self.nonce = header.bits, header.nonce

    def serialize_header(self):
        return (struct.pack("<i", self.version) + ser_uint256(self.prev) +
                ser_uint256(self.merkle_root) +
                struct.pack("<III", self.time, self.bits, self.nonce))

    def deserialize_header(self, f):
        self.version = struct.unpack("<i", _read(f, 4))[0]
        self.prev = deser_uint256(f)
        self.merkle_root = deser_uint256(f)
        self.time, self.bits, self.nonce = struct.unpack("<III", _read(f, 12))

    serialize = serialize_header
    deserialize = deserialize_header

    @property
    def sha256(self):
        """The block hash as an int."""
        return int.from_bytes(hash256(self.serialize_header()), "little")

    @property
    def hash(self):
        return uint256_to_hex(self.sha256)

    @property
    def prev_hex(self):
        return uint256_to_hex(self.prev)

    def target(self):
        return (self.bits & 0xffffff) << (8 * ((self.bits >> 24) - 3))

    def check_pow(self):
        return self.sha256 <= self.target()

    def solve(self, max_tries=1 << 24):
        """Increments the nonce until the header meets its bits (quick at regtest's)."""
        head = self.serialize_header()[:76]
        target = self.target()
        for nonce in range(self.nonce, self.nonce + max_tries):
            h = hash256(head + struct.pack("<I", nonce & 0xffffffff))
            if int.from_bytes(h, "little") <= target:
                self.nonce = nonce & 0xffffffff
                return
        raise AssertionError("no nonce found")

    def __repr__(self):
        return "CBlockHeader(%s prev=%s time=%d)" % (self.hash, self.prev_hex, self.time)


class CBlock(CBlockHeader):
    def __init__(self, header=None):
        super().__init__(header)
        self.vtx = []

    def serialize(self, with_witness=True):
        return self.serialize_header() + ser_compact_size(len(self.vtx)) + b"".join(
            t.serialize(with_witness) for t in self.vtx)

    def deserialize(self, f):
        self.deserialize_header(f)
        self.vtx = deser_vector(f, CTransaction)

    def get_header(self):
        return CBlockHeader(self)

    def calc_merkle_root(self):
        return merkle_root_ints([t.txid_int for t in self.vtx])

    def calc_witness_merkle_root(self):
        return merkle_root_ints([0] + [t.wtxid_int for t in self.vtx[1:]])

    def is_valid_merkle(self):
        return self.merkle_root == self.calc_merkle_root()

    def weight(self):
        return 3 * len(self.serialize(False)) + len(self.serialize(True))

    def __repr__(self):
        return "CBlock(%s prev=%s txs=%d)" % (self.hash, self.prev_hex, len(self.vtx))


def merkle_root_ints(hashes):
    """Bitcoin's merkle root of uint256 ints (the last entry doubled on odd levels)."""
    if not hashes:
        return 0
    level = [ser_uint256(h) for h in hashes]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hash256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return int.from_bytes(level[0], "little")


# ---- block building ----

def block_subsidy(height):
    return REGTEST_SUBSIDY >> (height // REGTEST_HALVING) if height // REGTEST_HALVING < 64 else 0


OP_TRUE_SCRIPT = b"\x51"


def create_coinbase(height, script_pubkey=OP_TRUE_SCRIPT, value=None, extra=b""):
    """A coinbase for height: BIP34 height push (plus a filler byte so the scriptSig is
    at least 2 bytes), paying value (default: the regtest subsidy) to script_pubkey."""
    tx = CTransaction()
    script_sig = bip34_push(height) + (extra or b"\x00")
    tx.vin = [CTxIn(COutPoint(0, 0xffffffff), script_sig, 0xffffffff)]
    tx.vout = [CTxOut(block_subsidy(height) if value is None else value, script_pubkey)]
    tx.witness = [[]]
    return tx


def add_witness_commitment(block, nonce=0):
    """Puts the BIP141 witness reserved value in the coinbase and appends the commitment
    output; the merkle root is recomputed."""
    reserved = ser_uint256(nonce)
    cb = block.vtx[0]
    cb.witness = [[reserved]]
    root = block.calc_witness_merkle_root()
    commitment = hash256(ser_uint256(root) + reserved)
    cb.vout.append(CTxOut(0, b"\x6a\x24" + WITNESS_COMMITMENT_HEADER + commitment))
    block.merkle_root = block.calc_merkle_root()


def create_block(prev_hash, height, ntime=None, txs=None, coinbase=None, version=0x20000000,
                 bits=REGTEST_BITS, witness_commitment=True, solve=True):
    """A solved regtest block at height on top of prev_hash (int or hex). The coinbase
    defaults to create_coinbase(height) and claims no fees; ntime defaults to now."""
    block = CBlock()
    block.version = version
    block.prev = uint256_from_hex(prev_hash) if isinstance(prev_hash, str) else prev_hash
    block.time = int(time.time()) if ntime is None else ntime
    block.bits = bits
    block.vtx = [coinbase or create_coinbase(height)] + list(txs or [])
    if witness_commitment:
        add_witness_commitment(block)
    block.merkle_root = block.calc_merkle_root()
    if solve:
        block.solve()
    return block


# ---- messages ----

class msg_version:
    msgtype = b"version"

    def __init__(self):
        self.version = PROTOCOL_VERSION
        self.services = NODE_NETWORK | NODE_WITNESS
        self.time = int(time.time())
        self.addr_recv = CAddress()
        self.addr_from = CAddress()
        self.nonce = random.getrandbits(64)
        self.user_agent = MY_SUBVERSION
        self.start_height = -1
        self.relay = 1

    def serialize(self):
        return (struct.pack("<iQq", self.version, self.services, self.time) +
                self.addr_recv.serialize(False) + self.addr_from.serialize(False) +
                struct.pack("<Q", self.nonce) + ser_string(self.user_agent) +
                struct.pack("<i", self.start_height) + struct.pack("<B", self.relay))

    def deserialize(self, f):
        self.version, self.services, self.time = struct.unpack("<iQq", _read(f, 20))
        self.addr_recv = CAddress()
        self.addr_recv.deserialize(f, False)
        self.addr_from = CAddress()
        self.addr_from.deserialize(f, False)
        self.nonce = struct.unpack("<Q", _read(f, 8))[0]
        self.user_agent = deser_string(f)
        self.start_height = struct.unpack("<i", _read(f, 4))[0]
        rest = f.read(1)
        self.relay = rest[0] if rest else 1

    def __repr__(self):
        return "msg_version(version=%d services=%x agent=%r height=%d relay=%d)" % (
            self.version, self.services, self.user_agent, self.start_height, self.relay)


class _Empty:
    """Messages without a payload."""
    msgtype = b""

    def serialize(self):
        return b""

    def deserialize(self, f):
        pass

    def __repr__(self):
        return "msg_%s()" % self.msgtype.decode()


class msg_verack(_Empty):
    msgtype = b"verack"


class msg_wtxidrelay(_Empty):
    msgtype = b"wtxidrelay"


class msg_sendaddrv2(_Empty):
    msgtype = b"sendaddrv2"


class msg_sendheaders(_Empty):
    msgtype = b"sendheaders"


class msg_getaddr(_Empty):
    msgtype = b"getaddr"


class msg_mempool(_Empty):
    msgtype = b"mempool"


class _Nonce:
    msgtype = b""

    def __init__(self, nonce=0):
        self.nonce = nonce

    def serialize(self):
        return struct.pack("<Q", self.nonce)

    def deserialize(self, f):
        self.nonce = struct.unpack("<Q", _read(f, 8))[0]

    def __repr__(self):
        return "msg_%s(nonce=%x)" % (self.msgtype.decode(), self.nonce)


class msg_ping(_Nonce):
    msgtype = b"ping"


class msg_pong(_Nonce):
    msgtype = b"pong"


class msg_addr:
    msgtype = b"addr"

    def __init__(self, addrs=None):
        self.addrs = list(addrs or [])

    def serialize(self):
        return ser_vector(self.addrs)

    def deserialize(self, f):
        self.addrs = deser_vector(f, CAddress)


class msg_addrv2:
    msgtype = b"addrv2"

    def __init__(self, addrs=None):
        self.addrs = list(addrs or [])

    def serialize(self):
        return ser_vector(self.addrs, "serialize_v2")

    def deserialize(self, f):
        self.addrs = deser_vector(f, CAddress, "deserialize_v2")


class _InvList:
    msgtype = b""

    def __init__(self, inv=None):
        self.inv = list(inv or [])

    def serialize(self):
        return ser_vector(self.inv)

    def deserialize(self, f):
        self.inv = deser_vector(f, CInv)

    def __repr__(self):
        return "msg_%s(%r)" % (self.msgtype.decode(), self.inv)


class msg_inv(_InvList):
    msgtype = b"inv"


class msg_getdata(_InvList):
    msgtype = b"getdata"


class msg_notfound(_InvList):
    msgtype = b"notfound"


class _Locator:
    msgtype = b""

    def __init__(self, have=None, stop=0):
        self.locator = CBlockLocator(have)
        self.hashstop = stop

    def serialize(self):
        return self.locator.serialize() + ser_uint256(self.hashstop)

    def deserialize(self, f):
        self.locator = CBlockLocator()
        self.locator.deserialize(f)
        self.hashstop = deser_uint256(f)


class msg_getheaders(_Locator):
    msgtype = b"getheaders"


class msg_getblocks(_Locator):
    msgtype = b"getblocks"


class msg_headers:
    """Each header is followed by a zero transaction count on the wire."""
    msgtype = b"headers"

    def __init__(self, headers=None):
        self.headers = list(headers or [])

    def serialize(self):
        return ser_compact_size(len(self.headers)) + b"".join(
            CBlockHeader(h).serialize_header() + b"\x00" for h in self.headers)

    def deserialize(self, f):
        self.headers = []
        for _ in range(deser_compact_size(f)):
            h = CBlockHeader()
            h.deserialize_header(f)
            if deser_compact_size(f) != 0:
                raise ValueError("headers entry with transactions")
            self.headers.append(h)

    def __repr__(self):
        return "msg_headers(%d)" % len(self.headers)


class msg_block:
    msgtype = b"block"

    def __init__(self, block=None, with_witness=True):
        self.block = block or CBlock()
        self.with_witness = with_witness

    def serialize(self):
        return self.block.serialize(self.with_witness)

    def deserialize(self, f):
        self.block = CBlock()
        self.block.deserialize(f)

    def __repr__(self):
        return "msg_block(%r)" % self.block


class msg_tx:
    msgtype = b"tx"

    def __init__(self, tx=None, with_witness=True):
        self.tx = tx or CTransaction()
        self.with_witness = with_witness

    def serialize(self):
        return self.tx.serialize(self.with_witness)

    def deserialize(self, f):
        self.tx = CTransaction()
        self.tx.deserialize(f)

    def __repr__(self):
        return "msg_tx(%r)" % self.tx


class msg_feefilter:
    msgtype = b"feefilter"

    def __init__(self, feerate=0):
        self.feerate = feerate

    def serialize(self):
        return struct.pack("<q", self.feerate)

    def deserialize(self, f):
        self.feerate = struct.unpack("<q", _read(f, 8))[0]


class msg_sendcmpct:
    msgtype = b"sendcmpct"

    def __init__(self, announce=False, version=2):
        self.announce = announce
        self.version = version

    def serialize(self):
        return struct.pack("<?Q", self.announce, self.version)

    def deserialize(self, f):
        self.announce, self.version = struct.unpack("<?Q", _read(f, 9))


class PrefilledTransaction:
    """index is the differential index as on the wire."""

    def __init__(self, index=0, tx=None):
        self.index = index
        self.tx = tx or CTransaction()

    def serialize(self):
        return ser_compact_size(self.index) + self.tx.serialize(True)

    def deserialize(self, f):
        self.index = deser_compact_size(f)
        self.tx = CTransaction()
        self.tx.deserialize(f)


def _short_id_key(header, nonce):
    h = sha256(CBlockHeader(header).serialize_header() + struct.pack("<Q", nonce))
    return struct.unpack("<QQ", h[:16])


def siphash24(k0, k1, data):
    """SipHash-2-4 of data (bytes) under the 64-bit keys k0, k1."""
    mask = (1 << 64) - 1

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & mask

    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d,
         k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & mask
            v[1] = rotl(v[1], 13) ^ v[0]
            v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & mask
            v[3] = rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & mask
            v[3] = rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & mask
            v[1] = rotl(v[1], 17) ^ v[2]
            v[2] = rotl(v[2], 32)

    whole = len(data) - len(data) % 8
    words = [struct.unpack("<Q", data[i:i + 8])[0] for i in range(0, whole, 8)]
    words.append(int.from_bytes(data[whole:], "little") | ((len(data) & 0xff) << 56))
    for m in words:
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    v[2] ^= 0xff
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def calculate_shortid(header, nonce, wtxid_int):
    k0, k1 = _short_id_key(header, nonce)
    return siphash24(k0, k1, ser_uint256(wtxid_int)) & 0xffffffffffff


class HeaderAndShortIDs:
    def __init__(self):
        self.header = CBlockHeader()
        self.nonce = 0
        self.shortids = []
        self.prefilled_txn = []

    def serialize(self):
        out = self.header.serialize_header() + struct.pack("<Q", self.nonce)
        out += ser_compact_size(len(self.shortids))
        for s in self.shortids:
            out += struct.pack("<Q", s)[:6]
        return out + ser_vector(self.prefilled_txn)

    def deserialize(self, f):
        self.header = CBlockHeader()
        self.header.deserialize_header(f)
        self.nonce = struct.unpack("<Q", _read(f, 8))[0]
        count = deser_compact_size(f)
        self.shortids = [int.from_bytes(_read(f, 6), "little") for _ in range(count)]
        self.prefilled_txn = deser_vector(f, PrefilledTransaction)

    @classmethod
    def from_block(cls, block, nonce=0, prefill=(0,)):
        """BIP152 compact form of block: the transactions at the absolute indexes in
        prefill are sent whole, the others as short ids of their wtxids."""
        self = cls()
        self.header = CBlockHeader(block)
        self.nonce = nonce
        last = -1
        for i, t in enumerate(block.vtx):
            if i in prefill:
                self.prefilled_txn.append(PrefilledTransaction(i - last - 1, t))
                last = i
            else:
                self.shortids.append(calculate_shortid(block, nonce, t.wtxid_int))
        return self


class msg_cmpctblock:
    msgtype = b"cmpctblock"

    def __init__(self, header_and_shortids=None):
        self.header_and_shortids = header_and_shortids or HeaderAndShortIDs()

    def serialize(self):
        return self.header_and_shortids.serialize()

    def deserialize(self, f):
        self.header_and_shortids = HeaderAndShortIDs()
        self.header_and_shortids.deserialize(f)


class msg_getblocktxn:
    """indexes are absolute; the wire carries them differentially."""
    msgtype = b"getblocktxn"

    def __init__(self, blockhash=0, indexes=None):
        self.blockhash = blockhash
        self.indexes = list(indexes or [])

    def serialize(self):
        out = ser_uint256(self.blockhash) + ser_compact_size(len(self.indexes))
        last = -1
        for i in self.indexes:
            out += ser_compact_size(i - last - 1)
            last = i
        return out

    def deserialize(self, f):
        self.blockhash = deser_uint256(f)
        self.indexes = []
        last = -1
        for _ in range(deser_compact_size(f)):
            last = last + 1 + deser_compact_size(f)
            self.indexes.append(last)


class msg_blocktxn:
    msgtype = b"blocktxn"

    def __init__(self, blockhash=0, transactions=None):
        self.blockhash = blockhash
        self.transactions = list(transactions or [])

    def serialize(self):
        return ser_uint256(self.blockhash) + ser_vector(self.transactions)

    def deserialize(self, f):
        self.blockhash = deser_uint256(f)
        self.transactions = deser_vector(f, CTransaction)


MESSAGE_TYPES = {cls.msgtype: cls for cls in (
    msg_version, msg_verack, msg_wtxidrelay, msg_sendaddrv2, msg_sendheaders, msg_ping,
    msg_pong, msg_addr, msg_addrv2, msg_getaddr, msg_inv, msg_getdata, msg_notfound,
    msg_getheaders, msg_getblocks, msg_headers, msg_block, msg_tx, msg_feefilter,
    msg_sendcmpct, msg_cmpctblock, msg_getblocktxn, msg_blocktxn, msg_mempool)}


class msg_unknown:
    """A message of a type this module does not know (kept raw), or one to send with any
    command and payload."""

    def __init__(self, msgtype=b"", payload=b""):
        self.msgtype = msgtype
        self.payload = payload

    def serialize(self):
        return self.payload

    def __repr__(self):
        return "msg_unknown(%r, %d bytes)" % (self.msgtype, len(self.payload))


def frame_message(magic, msgtype, payload, length=None, csum=None):
    """The 24-byte header (magic, NUL-padded command, length, checksum) and payload;
    length and csum may be overridden to build broken frames."""
    if len(msgtype) > 12:
        raise ValueError("command longer than 12 bytes")
    return (magic + msgtype + b"\x00" * (12 - len(msgtype)) +
            struct.pack("<I", len(payload) if length is None else length) +
            (checksum(payload) if csum is None else csum) + payload)


def decode_message(msgtype, payload):
    """A message object from its command and payload (msg_unknown when the type is not
    known here). Raises ValueError on a malformed payload."""
    cls = MESSAGE_TYPES.get(msgtype)
    if cls is None:
        return msg_unknown(msgtype, payload)
    obj = cls()
    obj.deserialize(BytesIO(payload))
    return obj


# ---- self-check: `cd test/functional && python3 -m test_framework.messages` ----

def selftest():
    """Checks the encoders against real Bitcoin bytes: a mainnet verack frame, the
    genesis header, mainnet blocks 1-255 and Bitcoin Core's valid transactions (byte
    for byte round trips), SipHash reference vectors and message round trips."""
    import json
    import os
    from .util import BTC_GENESIS, BTC_TIP_255, btc_blocks_file, vectors_dir

    assert frame_message(MAGIC_BTC_MAIN, b"verack", b"").hex() == \
        "f9beb4d976657261636b000000000000000000005df6e0e2"
    g = CBlockHeader()
    g.version, g.prev, g.time, g.bits, g.nonce = 1, 0, 1231006505, 0x1d00ffff, 2083236893
    g.merkle_root = uint256_from_hex(
        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b")
    assert g.hash == BTC_GENESIS and g.check_pow()

    counts = {}
    path = btc_blocks_file()
    if os.path.exists(path):
        with open(path, "rb") as f:
            data = f.read()
        pos, prev, n = 0, uint256_from_hex(BTC_GENESIS), 0
        while pos < len(data):
            assert data[pos:pos + 4] == MAGIC_BTC_MAIN
            size = struct.unpack("<I", data[pos + 4:pos + 8])[0]
            raw = data[pos + 8:pos + 8 + size]
            pos += 8 + size
            f = BytesIO(raw)
            b = CBlock()
            b.deserialize(f)
            assert f.read() == b"" and b.serialize() == raw
            assert b.prev == prev and b.is_valid_merkle() and b.check_pow()
            prev = b.sha256
            n += 1
        assert n == 255 and uint256_to_hex(prev) == BTC_TIP_255
        counts["mainnet blocks"] = n
    txfile = os.path.join(vectors_dir(), "bitcoin-core", "tx_valid.json")
    if os.path.exists(txfile):
        n = wit = 0
        for case in json.load(open(txfile)):
            if len(case) < 2 or not isinstance(case[0], list):
                continue
            raw = bytes.fromhex(case[1])
            tx = CTransaction.from_bytes(raw)
            assert tx.serialize() == raw, case[1]
            if tx.has_witness():
                wit += 1
                assert tx.txid != tx.wtxid
                stripped = tx.serialize(False)
                assert CTransaction.from_bytes(stripped).serialize() == stripped
            n += 1
        counts["tx_valid transactions"] = n
        counts["with witness"] = wit

    k0, k1 = 0x0706050403020100, 0x0f0e0d0c0b0a0908
    m = bytes(range(16))
    assert [siphash24(k0, k1, m[:n]) for n in (0, 1, 8, 15)] == [
        0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x93f5f5799a932462, 0xa129ca6149be45e5]

    # Round trips with contents.
    blk = create_block(uint256_from_hex(BTC_GENESIS), 1, ntime=1700000000)
    spend = CTransaction()
    spend.vin = [CTxIn(COutPoint(blk.vtx[0].txid_int, 0), b"", 0xfffffffd)]
    spend.vout = [CTxOut(5 * COIN, b"\x00\x14" + b"\x11" * 20)]
    spend.witness = [[b"\x30" * 71, b"\x02" * 33]]
    blk2 = create_block(blk.sha256, 2, ntime=1700000001, txs=[spend])
    a = CAddress("10.1.2.3", 8333, NODE_NETWORK, 1700000000)
    samples = [
        msg_version(), msg_ping(7), msg_addr([a]), msg_addrv2([a]),
        msg_inv([CInv(MSG_WTX, 5), CInv(MSG_BLOCK, 6)]), msg_getdata([CInv(MSG_WITNESS_BLOCK, 9)]),
        msg_getheaders([blk.sha256, 3], 4), msg_headers([blk, blk2]), msg_block(blk2),
        msg_tx(spend), msg_feefilter(1000), msg_sendcmpct(True, 2),
        msg_cmpctblock(HeaderAndShortIDs.from_block(blk2, nonce=42)),
        msg_getblocktxn(blk2.sha256, [0, 1, 5, 6]), msg_blocktxn(blk2.sha256, [spend])]
    for msg in samples:
        raw = msg.serialize()
        back = decode_message(msg.msgtype, raw)
        assert back.serialize() == raw, msg.msgtype
    assert decode_message(b"getblocktxn", samples[-2].serialize()).indexes == [0, 1, 5, 6]
    assert samples[-2].serialize()[32:] == bytes([4, 0, 0, 3, 0])
    assert msg_addr([a]).serialize().hex() == (
        "01" + "00f15365" + "0100000000000000" + "00000000000000000000ffff0a010203" + "208d")
    v = decode_message(b"version", msg_version().serialize()[:-1])  # no relay byte
    assert v.relay == 1
    assert blk2.vtx[1].wtxid != blk2.vtx[1].txid and blk2.is_valid_merkle()
    cmpct = samples[-3].header_and_shortids
    assert len(cmpct.shortids) == 1 and cmpct.prefilled_txn[0].index == 0
    assert cmpct.shortids[0] == calculate_shortid(blk2, 42, spend.wtxid_int) < (1 << 48)
    counts["message round trips"] = len(samples)
    return counts


if __name__ == "__main__":
    print("messages self-check: %s" % selftest())
