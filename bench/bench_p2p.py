#!/usr/bin/env python3
"""bench_p2p: block download over loopback between two real iopd nodes, and the memory
an idle inbound connection costs.

    python3 bench/bench_p2p.py --builddir _build [--blocks 2000] [--txs-per-block N]

1. Builds a regtest chain whose blocks carry real signatures, so that script checks
   (and -par) matter: every coinbase pays a P2WPKH key of ours; once the first coinbase
   matures (height 101), each block holds --txs-per-block transactions that spend
   earlier outputs with P2WPKH inputs signed under BIP143 and pay two P2WPKH outputs
   (one input while the pool of coins is still small, two after that). Signing goes
   through the system libsecp256k1 with ctypes, spread over worker processes. The chain
   is written in blk*.dat layout and kept under the build directory, so a rerun with the
   same parameters skips the build.
2. Node A imports the file with -loadblock.
3. A fresh node B (-par default) dials A with `addnode onetry`; the clock runs from
   that call until B's height equals A's. Again with another fresh node B and -par=1.
4. A fresh node accepts 125 idle Python peers (handshake, then nothing); VmRSS and
   VmHWM of the node are read from /proc before and after.

Each figure is one line: name, value, unit. Only loopback is used; the nodes live in a
temporary directory that is removed at the end (--keep keeps it for the debug.logs).
Exit status: 0 done, 1 something failed (missing libsecp256k1, a node that did not sync).
"""
import argparse
import ctypes
import ctypes.util
import glob
import hashlib
import json
import multiprocessing
import os
import shutil
import struct
import sys
import tempfile
import time
from collections import deque

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test",
                                "functional"))

from test_framework.authproxy import JSONRPCException  # noqa: E402
from test_framework.messages import (  # noqa: E402
    MAGIC_REGTEST, CBlock, add_witness_commitment, block_subsidy, create_coinbase,
    uint256_from_hex)
from test_framework.node import TestNode  # noqa: E402
from test_framework.p2p import P2PInterface  # noqa: E402

CHAIN_FORMAT = 1            # bump when the chain builder changes: old caches are rebuilt
COINBASE_MATURITY = 100
MAX_BLOCK_WEIGHT = 4000000
IDLE_PEERS = 125
IDLE_MAXCONNECTIONS = 200   # inbound slots are -maxconnections minus 19 outbound slots
DEFAULT_TXS_PER_BLOCK = 500
SIGN_BATCH_BLOCKS = 16      # blocks handed to the signing workers at a time
# A batch is made while the one before it is being signed, so its blocks spend coinbases
# up to 2 * SIGN_BATCH_BLOCKS blocks newer than the last block already put together.
assert 2 * SIGN_BATCH_BLOCKS < COINBASE_MATURITY

SECRET_KEY = hashlib.sha256(b"iopd bench_p2p key").digest()


# ---- libsecp256k1 through ctypes ----

SECP256K1_CONTEXT_SIGN = (1 << 0) | (1 << 9)
SECP256K1_EC_COMPRESSED = (1 << 1) | (1 << 8)


class Secp256k1Missing(Exception):
    pass


class Signer:
    """ECDSA signing with the system libsecp256k1: RFC 6979 nonces, low S, DER output."""

    def __init__(self):
        path = ctypes.util.find_library("secp256k1")
        candidates = ([path] if path else []) + sorted(
            glob.glob("/usr/lib/*/libsecp256k1.so*") + glob.glob("/usr/local/lib/libsecp256k1.so*"))
        lib = None
        for c in candidates:
            try:
                lib = ctypes.CDLL(c)
                break
            except OSError:
                continue
        if lib is None:
            raise Secp256k1Missing(
                "libsecp256k1 not found: install libsecp256k1-dev (Debian/Ubuntu) or the "
                "library of your system; bench_p2p signs hundreds of thousands of inputs "
                "and pure Python is far too slow for that")
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        lib.secp256k1_context_create.restype = vp
        lib.secp256k1_context_create.argtypes = [ctypes.c_uint]
        lib.secp256k1_ec_pubkey_create.argtypes = [vp, cp, cp]
        lib.secp256k1_ec_pubkey_serialize.argtypes = [vp, cp, ctypes.POINTER(ctypes.c_size_t),
                                                      cp, ctypes.c_uint]
        lib.secp256k1_ecdsa_sign.argtypes = [vp, cp, cp, cp, vp, vp]
        lib.secp256k1_ecdsa_signature_serialize_der.argtypes = [
            vp, cp, ctypes.POINTER(ctypes.c_size_t), cp]
        self.lib = lib
        self.ctx = lib.secp256k1_context_create(SECP256K1_CONTEXT_SIGN)
        if not self.ctx:
            raise Secp256k1Missing("secp256k1_context_create failed")
        self._sig = ctypes.create_string_buffer(64)
        self._der = ctypes.create_string_buffer(72)
        self._len = ctypes.c_size_t()

    def pubkey(self, seckey):
        """The 33-byte compressed public key of seckey."""
        raw = ctypes.create_string_buffer(64)
        if self.lib.secp256k1_ec_pubkey_create(self.ctx, raw, seckey) != 1:
            raise ValueError("invalid secret key")
        out = ctypes.create_string_buffer(33)
        n = ctypes.c_size_t(33)
        self.lib.secp256k1_ec_pubkey_serialize(self.ctx, out, ctypes.byref(n), raw,
                                               SECP256K1_EC_COMPRESSED)
        return out.raw[:n.value]

    def sign_der(self, seckey, digest):
        if self.lib.secp256k1_ecdsa_sign(self.ctx, self._sig, digest, seckey, None, None) != 1:
            raise ValueError("secp256k1_ecdsa_sign failed")
        self._len.value = 72
        self.lib.secp256k1_ecdsa_signature_serialize_der(self.ctx, self._der,
                                                         ctypes.byref(self._len), self._sig)
        return self._der.raw[:self._len.value]


_worker_signer = None


def _sign_digests(blob):
    """Worker: DER signatures (with SIGHASH_ALL appended) of the 32-byte digests in blob."""
    global _worker_signer
    if _worker_signer is None:
        _worker_signer = Signer()
    s = _worker_signer
    return [s.sign_der(SECRET_KEY, blob[i:i + 32]) + b"\x01" for i in range(0, len(blob), 32)]


# ---- the chain ----

def sha256(b):
    return hashlib.sha256(b).digest()


def hash256(b):
    return sha256(sha256(b))


def hash160(b):
    return hashlib.new("ripemd160", sha256(b)).digest()


def compact_size(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


class SignedTx:
    """A P2WPKH spend kept as bytes; quacks enough like messages.CTransaction for CBlock
    (txid_int, wtxid_int, serialize)."""
    __slots__ = ("base", "witness", "txid_int", "wtxid_int", "head", "ins", "outs")

    def serialize(self, with_witness=True):
        if not with_witness:
            return self.base
        return self.head + b"\x00\x01" + self.ins + self.outs + self.witness + b"\x00" * 4


class ChainBuilder:
    """Builds the chain block by block. Transaction ids do not depend on signatures, so
    the unsigned transactions of a batch of blocks are made first, their BIP143 digests
    are signed by worker processes while the next batch is made, and blocks are then
    put together (witnesses, witness commitment, header, nonce) in order."""

    VERSION = struct.pack("<i", 2)
    SEQUENCE = b"\xff\xff\xff\xff"
    LOCKTIME = b"\x00" * 4
    SIGHASH_ALL = struct.pack("<I", 1)

    def __init__(self, pubkey, genesis_hash, genesis_time, blocks, txs_per_block):
        self.pub = pubkey
        pkh = hash160(pubkey)
        self.spk = b"\x00\x14" + pkh
        self.script_code = b"\x19\x76\xa9\x14" + pkh + b"\x88\xac"
        self.out_spk = compact_size(len(self.spk)) + self.spk
        self.wit_pub = compact_size(len(pubkey)) + pubkey
        self.blocks = blocks
        self.txs_per_block = txs_per_block
        self.prev_hash = uint256_from_hex(genesis_hash)
        self.time = genesis_time
        self.pool = deque()          # spendable coins: (outpoint 36 bytes, value)
        self.coinbases = {}          # height -> (outpoint, value) until it matures
        self.stats = {"blocks": blocks, "txs": 0, "spends": 0, "inputs": 0, "bytes": 0,
                      "max_weight": 0, "weight_spend_blocks": 0, "bytes_spend_blocks": 0,
                      "spend_blocks": 0,
                      "first_spend_height": None}

    def _unsigned_tx(self):
        """One spend of the oldest coins: two inputs once the pool holds enough to keep
        every later transaction of a block at two, one (and so one more coin) before."""
        k = 2 if len(self.pool) >= 2 * self.txs_per_block + 2 else 1
        if len(self.pool) < k:
            return None
        coins = [self.pool.popleft() for _ in range(k)]
        total = sum(v for _, v in coins)
        values = (total // 2, total - total // 2)
        ins = compact_size(k) + b"".join(op + b"\x00" + self.SEQUENCE for op, _ in coins)
        outs_body = b"".join(struct.pack("<q", v) + self.out_spk for v in values)
        outs = compact_size(len(values)) + outs_body
        base = self.VERSION + ins + outs + self.LOCKTIME
        txid = hash256(base)
        for n, v in enumerate(values):
            self.pool.append((txid + struct.pack("<I", n), v))
        hash_prevouts = hash256(b"".join(op for op, _ in coins))
        hash_sequence = hash256(self.SEQUENCE * k)
        hash_outputs = hash256(outs_body)
        front = self.VERSION + hash_prevouts + hash_sequence
        back = self.SEQUENCE + hash_outputs + self.LOCKTIME + self.SIGHASH_ALL
        digests = b"".join(hash256(front + op + self.script_code + struct.pack("<q", v) + back)
                           for op, v in coins)
        t = SignedTx()
        t.base, t.head, t.ins, t.outs = base, self.VERSION, ins, outs
        t.txid_int = int.from_bytes(txid, "little")
        return t, k, digests

    def _unsigned_block(self, height):
        if height > COINBASE_MATURITY:
            self.pool.append(self.coinbases.pop(height - COINBASE_MATURITY))
        txs, counts, digests = [], [], []
        for _ in range(self.txs_per_block if height > COINBASE_MATURITY else 0):
            made = self._unsigned_tx()
            if made is None:
                break
            t, k, d = made
            txs.append(t)
            counts.append(k)
            digests.append(d)
        return height, txs, counts, b"".join(digests)

    def _assemble(self, unsigned, sigs):
        height, txs, counts, _ = unsigned
        pos = 0
        for t, k in zip(txs, counts):
            t.witness = b"".join(b"\x02" + compact_size(len(s)) + s + self.wit_pub
                                 for s in sigs[pos:pos + k])
            pos += k
            t.wtxid_int = int.from_bytes(hash256(t.serialize(True)), "little")
        block = CBlock()
        block.prev = self.prev_hash
        self.time += 1
        block.time = self.time
        cb = create_coinbase(height, self.spk)
        block.vtx = [cb] + txs
        add_witness_commitment(block)
        block.solve()
        self.prev_hash = block.sha256
        self.coinbases[height] = (ser_txid(cb.txid_int) + struct.pack("<I", 0),
                                  block_subsidy(height))
        raw = block.serialize()
        weight = 3 * len(block.serialize(False)) + len(raw)
        if weight > MAX_BLOCK_WEIGHT:
            raise ValueError("block %d weighs %d, above %d: use fewer --txs-per-block" %
                             (height, weight, MAX_BLOCK_WEIGHT))
        st = self.stats
        st["txs"] += len(block.vtx)
        st["spends"] += len(txs)
        st["inputs"] += sum(counts)
        st["bytes"] += len(raw)
        st["max_weight"] = max(st["max_weight"], weight)
        if txs:
            st["spend_blocks"] += 1
            st["weight_spend_blocks"] += weight
            st["bytes_spend_blocks"] += len(raw)
            if st["first_spend_height"] is None:
                st["first_spend_height"] = height
        return raw

    def write(self, path, workers, progress):
        """Writes the whole chain to path (blk*.dat layout: magic, length, block)."""
        pool = multiprocessing.Pool(workers) if workers > 1 else None
        local = None if pool else Signer()

        def sign(unsigned_batch):
            blobs = [u[3] for u in unsigned_batch]
            if pool:
                return pool.map_async(_sign_digests, blobs)
            sigs = [[local.sign_der(SECRET_KEY, b[i:i + 32]) + b"\x01"
                     for i in range(0, len(b), 32)] for b in blobs]
            return _Done(sigs)

        def batch(first):
            last = min(first + SIGN_BATCH_BLOCKS, self.blocks + 1)
            return [self._unsigned_block(h) for h in range(first, last)]

        try:
            with open(path, "wb") as f:
                height = 1
                current = batch(height)
                pending = sign(current)
                while current:
                    height += len(current)
                    following = batch(height)     # made while the workers sign
                    signed = pending.get()
                    if following:
                        pending = sign(following)
                    for unsigned, sigs in zip(current, signed):
                        raw = self._assemble(unsigned, sigs)
                        f.write(MAGIC_REGTEST + struct.pack("<I", len(raw)) + raw)
                    progress(height - 1)
                    current = following
        finally:
            if pool:
                pool.terminate()
                pool.join()
        self.stats["tip"] = "%064x" % self.prev_hash
        return self.stats


class _Done:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value


def ser_txid(txid_int):
    return txid_int.to_bytes(32, "little")


def chain_paths(builddir, blocks, txs_per_block, genesis_hash):
    stem = os.path.join(builddir, "bench-p2p-chain-v%d-%db-%dt-%s" % (
        CHAIN_FORMAT, blocks, txs_per_block, genesis_hash[:12]))
    return stem + ".dat", stem + ".json"


def load_or_build_chain(args, genesis_hash, genesis_time):
    """(path of the blk file, stats, seconds spent building or None when cached)."""
    dat, meta = chain_paths(args.builddir, args.blocks, args.txs_per_block, genesis_hash)
    if os.path.exists(dat) and os.path.exists(meta):
        with open(meta) as f:
            stats = json.load(f)
        if stats.get("file_bytes") == os.path.getsize(dat):
            return dat, stats, None
    signer = Signer()  # fails early, with the message, when the library is missing
    pub = signer.pubkey(SECRET_KEY)
    workers = max(1, min(os.cpu_count() or 1, 8))
    builder = ChainBuilder(pub, genesis_hash, genesis_time, args.blocks, args.txs_per_block)
    start = time.monotonic()
    last_print = [start]

    def progress(height):
        now = time.monotonic()
        if now - last_print[0] >= 10 or height == args.blocks:
            last_print[0] = now
            print("  building: %d/%d blocks, %.0f s" % (height, args.blocks, now - start),
                  flush=True)

    print("building the chain (%d blocks, %d spends per block, %d signing processes); "
          "cached in %s" % (args.blocks, args.txs_per_block, workers, dat), flush=True)
    tmp = dat + ".tmp"
    stats = builder.write(tmp, workers, progress)
    elapsed = time.monotonic() - start
    stats["file_bytes"] = os.path.getsize(tmp)
    stats["build_seconds"] = round(elapsed, 1)
    with open(meta + ".tmp", "w") as f:
        json.dump(stats, f, indent=1)
    os.replace(meta + ".tmp", meta)
    os.replace(tmp, dat)
    return dat, stats, elapsed


# ---- nodes ----

def proc_status(pid):
    """VmRSS, VmHWM (KiB) and Threads of a process, from /proc/<pid>/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid):
    """User plus system CPU time of a process so far (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_height(node, height, timeout, what, pauses=None):
    """Polls getblockcount until it reaches height; fails when the process exits or the
    height has not moved for 120 s. Returns the time it was reached (monotonic). pauses,
    a dict, gets the longest time the height stood still and the height it stood at."""
    deadline = time.monotonic() + timeout
    best, moved = -1, time.monotonic()
    if pauses is not None:
        pauses.update(seconds=0.0, height=-1)
    while True:
        if node.process.poll() is not None:
            raise RuntimeError("%s: iopd exited with code %s" % (what, node.process.returncode))
        try:
            h = node.rpc.getblockcount()
        except JSONRPCException as e:
            if e.error.get("code") != -28:
                raise
            h = -1
        now = time.monotonic()
        if h >= height:
            return now
        if pauses is not None and best >= 0 and now - moved > pauses["seconds"]:
            pauses.update(seconds=now - moved, height=best)
        if h > best:
            best, moved = h, now
        if now - moved > 120 or now > deadline:
            raise RuntimeError("%s: stuck at height %d of %d" % (what, best, height))
        time.sleep(0.02)


def start_node(nodes, index, basedir, builddir, args, rpc_timeout=60):
    """Starts a node and adds it to nodes (which main stops whatever happens)."""
    node = TestNode(index, basedir, builddir, args)
    nodes.append(node)
    node.start(wait=False)
    node.wait_for_rpc(rpc_timeout)
    return node


def log_problems(node, label):
    """Lines of the node's debug.log that look like trouble."""
    words = ("error", "warning", "stall", "misbehav", "disconnect", "timeout", "reject",
             "invalid", "failed")
    quiet = ("Imported mempool transactions",)  # "0 failed" is not a failure
    bad = [line for line in node.debug_log().splitlines()
           if any(w in line.lower() for w in words) and not any(q in line for q in quiet)]
    if bad:
        print("  %s debug.log: %d line(s) worth a look, first: %s" % (label, len(bad), bad[0]))
    return bad


def measure_sync(nodes, index, basedir, builddir, node_a, blocks, chain_bytes, par_args,
                 label, keep):
    """A fresh node dials node A and downloads the whole chain; returns its figures."""
    b = start_node(nodes, index, basedir, builddir, par_args)
    time.sleep(0.5)                      # let the start-up threads settle before counting
    threads = proc_status(b.process.pid)["Threads"]
    cpu_a, cpu_b = cpu_seconds(node_a.process.pid), cpu_seconds(b.process.pid)
    start = time.monotonic()
    b.rpc.addnode(node_a.p2p_addr, "onetry")
    pauses = {}
    done = wait_for_height(b, blocks, 3600, "sync (%s)" % label, pauses)
    elapsed = done - start
    cpu_a = cpu_seconds(node_a.process.pid) - cpu_a
    cpu_b = cpu_seconds(b.process.pid) - cpu_b
    if b.rpc.getbestblockhash() != node_a.rpc.getbestblockhash():
        raise RuntimeError("sync (%s): node B's tip differs from node A's" % label)
    status = proc_status(b.process.pid)
    totals = b.rpc.getnettotals()
    b.stop()
    problems = log_problems(b, "node B (%s)" % label)
    if not keep:
        shutil.rmtree(b.datadir, ignore_errors=True)  # a copy of the chain
    return {"seconds": elapsed, "threads": threads, "blocks_per_s": blocks / elapsed,
            "mb_per_s": chain_bytes / elapsed / 1e6,
            "recv_bytes": totals.get("totalbytesrecv", 0), "problems": len(problems),
            "cpu_a": cpu_a, "cpu_b": cpu_b, "hwm_kib": status["VmHWM"], "pause": pauses}


def measure_idle_connections(nodes, index, basedir, builddir):
    node = start_node(nodes, index, basedir, builddir,
                      ["-maxconnections=%d" % IDLE_MAXCONNECTIONS])
    time.sleep(1.0)
    before = proc_status(node.process.pid)
    try:
        for _ in range(IDLE_PEERS):
            node.add_p2p_connection(P2PInterface())
        connected = node.rpc.getconnectioncount()
        time.sleep(2.0)                   # the node's own messages after the handshake
        after = proc_status(node.process.pid)
        still = node.rpc.getconnectioncount()
    finally:
        node.stop()
    log_problems(node, "idle-connections node")
    return before, after, connected, still


# ---- main ----

def fmt_int(n):
    return "{:,}".format(int(n))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builddir", default="_build", help="the build tree (src/iopd)")
    parser.add_argument("--blocks", type=int, default=2000, help="chain length (default 2000)")
    parser.add_argument("--txs-per-block", type=int, default=DEFAULT_TXS_PER_BLOCK,
                        help="spending transactions per block after height %d (default %d)"
                        % (COINBASE_MATURITY, DEFAULT_TXS_PER_BLOCK))
    parser.add_argument("--keep", action="store_true",
                        help="keep the nodes' directories (debug.log) and print where")
    parser.add_argument("--skip-idle", action="store_true",
                        help="leave out the idle-connection memory figure")
    args = parser.parse_args()
    args.builddir = os.path.abspath(args.builddir)
    if args.blocks < 1 or args.txs_per_block < 0:
        parser.error("--blocks must be at least 1 and --txs-per-block at least 0")
    if not os.path.exists(os.path.join(args.builddir, "src", "iopd")):
        print("bench_p2p: iopd not found under %s/src" % args.builddir, file=sys.stderr)
        return 1
    try:
        Signer()
    except Secp256k1Missing as e:
        print("bench_p2p: %s" % e, file=sys.stderr)
        return 1

    basedir = tempfile.mkdtemp(prefix="bench_p2p_")
    nodes = []
    ok = False
    try:
        # Node A: learn the genesis block, then restart it with the chain to import.
        whitelist = "-whitelist=download@127.0.0.1"  # serve B even while A is in IBD
        a = start_node(nodes, 0, basedir, args.builddir, [whitelist])
        genesis = a.rpc.getblockhash(0)
        genesis_time = a.rpc.getblockheader(genesis)["time"]
        a.stop()
        dat, stats, built = load_or_build_chain(args, genesis, genesis_time)
        chain_bytes = stats["bytes"]
        spend_blocks = stats["spend_blocks"]
        avg_weight = stats["weight_spend_blocks"] / spend_blocks if spend_blocks else 0
        print("bench_p2p: regtest chain of %s blocks, %s transactions, %s signed P2WPKH "
              "inputs, %.1f MB" % (fmt_int(args.blocks), fmt_int(stats["txs"]),
                                   fmt_int(stats["inputs"]), chain_bytes / 1e6))
        if spend_blocks:
            print("  blocks %d-%d: %s spends each (%.1f inputs), %.0f kB, weight %s on average "
                  "(%.0f%% of the 4,000,000 limit); blocks 1-%d hold only the coinbase" % (
                      stats["first_spend_height"], args.blocks,
                      fmt_int(stats["spends"] / spend_blocks),
                      stats["inputs"] / spend_blocks,
                      stats["bytes_spend_blocks"] / spend_blocks / 1e3,
                      fmt_int(avg_weight), 100.0 * avg_weight / MAX_BLOCK_WEIGHT,
                      stats["first_spend_height"] - 1))
            if avg_weight < MAX_BLOCK_WEIGHT / 2:
                print("  so these are far from full blocks: a full one would hold about %s "
                      "such spends" % fmt_int(MAX_BLOCK_WEIGHT * stats["spends"] /
                                               stats["weight_spend_blocks"]))
        if built is not None:
            print("chain build: %.1f s" % built)
        else:
            print("chain build: cached (%s; built in %.1f s)" % (dat, stats["build_seconds"]))

        print("load average before the nodes run: %.2f (%d CPUs online; the figures below "
              "need them free)" % (os.getloadavg()[0], os.cpu_count() or 0))
        start = time.monotonic()
        a.start(extra_args=[whitelist, "-loadblock=" + dat], wait=False)
        a.wait_for_rpc(120)
        done = wait_for_height(a, args.blocks, 3600, "node A import")
        if a.rpc.getbestblockhash() != stats["tip"]:
            raise RuntimeError("node A's tip is not the chain's last block")
        cpu = cpu_seconds(a.process.pid)
        print("node A import (-loadblock, -par default): %.1f s, %.0f blocks/s" % (
            done - start, args.blocks / (done - start)))
        print("  CPU meanwhile: node A %.1f s (%.2f cores busy)" % (cpu, cpu / (done - start)))
        log_problems(a, "node A")

        runs = []
        for i, (par_args, label) in enumerate((([], "-par default"), (["-par=1"], "-par=1"))):
            r = measure_sync(nodes, 1 + i, basedir, args.builddir, a, args.blocks, chain_bytes,
                             par_args, label, args.keep)
            runs.append(r)
            print("sync %s blocks over loopback, %s: %.1f s, %.1f blocks/s, %.2f MB/s" % (
                fmt_int(args.blocks), label, r["seconds"], r["blocks_per_s"], r["mb_per_s"]))
            print("  CPU meanwhile: node B %.1f s (%.2f cores busy), node A %.1f s; B received "
                  "%.1f MB" % (r["cpu_b"], r["cpu_b"] / r["seconds"], r["cpu_a"],
                               r["recv_bytes"] / 1e6))
            print("  node B: VmHWM (peak) %.1f MiB; longest wait for the next block %.2f s "
                  "(at height %d)" % (r["hwm_kib"] / 1024, r["pause"]["seconds"],
                                      r["pause"]["height"]))
        extra = runs[0]["threads"] - runs[1]["threads"]
        print("script-check threads of node B with -par default: %d (%d more OS threads than "
              "with -par=1; %d CPUs online)" % (1 + extra, extra, os.cpu_count() or 0))
        print("speed-up of -par default over -par=1: %.2fx" % (
            runs[1]["seconds"] / runs[0]["seconds"]))
        a.stop()

        if not args.skip_idle:
            before, after, connected, still = measure_idle_connections(nodes, 3, basedir,
                                                                       args.builddir)
            per = (after["VmRSS"] - before["VmRSS"]) / IDLE_PEERS
            print("idle connections: %d inbound Python peers (-maxconnections=%d; the default "
                  "125 leaves only 106 inbound slots), %d still connected after 2 s" % (
                      connected, IDLE_MAXCONNECTIONS, still))
            print("  VmRSS: %.1f MiB before, %.1f MiB with %d peers: %.1f KiB per connection" % (
                before["VmRSS"] / 1024, after["VmRSS"] / 1024, IDLE_PEERS, per))
            print("  VmHWM (peak): %.1f MiB before, %.1f MiB after" % (
                before["VmHWM"] / 1024, after["VmHWM"] / 1024))
        print("load average at the end: %.2f" % os.getloadavg()[0])
        ok = True
    except (RuntimeError, AssertionError, JSONRPCException, OSError, ValueError) as e:
        print("bench_p2p: %s" % e, file=sys.stderr)
    finally:
        for n in nodes:
            try:
                n.stop()
            except Exception:  # noqa: BLE001 - a node that will not stop is killed
                n.kill()
        if ok and not args.keep:
            shutil.rmtree(basedir, ignore_errors=True)
        else:
            print("bench_p2p: node directories kept in %s" % basedir)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
