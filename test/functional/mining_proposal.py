#!/usr/bin/env python3
"""getblocktemplate proposal mode (BIP 23) on a regtest node: blocks built here by hand
from a template (coinbase with BIP34 height and witness commitment, merkle root, header;
proof of work not solved, which proposals do not check) are checked without being
stored: null for a block that would become the tip, BIP22 reasons for known blocks,
blocks not on the tip and broken ones, Core's errors for bad requests. Also
generateblock's TestBlockValidity and getrawmempool's mempool_sequence."""
from test_framework.iop_tx import (
    bip34_push, block_hash, compact, hash256, merkle_root, mine_coinbase, p2wpkh_address,
    p2wpkh_script, pubkey, ser_bytes, ser_txout, spend_p2wpkh)
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_raises_rpc_error

KEY = 1
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)
COMMIT_HEADER = bytes.fromhex("6a24aa21a9ed")
RULES = {"rules": ["segwit"]}


def solve(header76, bits):
    target = (bits & 0xffffff) << (8 * ((bits >> 24) - 3))
    for nonce in range(1 << 20):
        h = header76 + nonce.to_bytes(4, "little")
        if int.from_bytes(hash256(h), "little") <= target:
            return h
    raise AssertionError("no nonce found")


def make_block(tmpl, txs, value, tag=b"\x00", prev=None, time=None, bits=None,
               bad_merkle=False, commitment=None, pow_solved=False):
    """A block on tmpl's parent: coinbase paying value to SPK (tag in its scriptSig makes
    blocks distinct) with a witness commitment over txs [(raw hex with witness, txid)],
    then txs. Returns (hex, hash)."""
    height = tmpl["height"]
    wtxids = ["00" * 32] + [hash256(bytes.fromhex(raw))[::-1].hex() for raw, _ in txs]
    if commitment is None:
        commitment = COMMIT_HEADER + hash256(merkle_root(wtxids) + b"\x00" * 32)
    ss = bip34_push(height) + tag
    outs = compact(2) + ser_txout(value, SPK) + ser_txout(0, commitment)
    cb = (b"\x02\x00\x00\x00" + b"\x00\x01" + compact(1) + b"\x00" * 32 + b"\xff\xff\xff\xff" +
          ser_bytes(ss) + b"\xff\xff\xff\xff" + outs + compact(1) + ser_bytes(b"\x00" * 32) +
          b"\x00\x00\x00\x00")
    cb_nowit = (b"\x02\x00\x00\x00" + compact(1) + b"\x00" * 32 + b"\xff\xff\xff\xff" +
                ser_bytes(ss) + b"\xff\xff\xff\xff" + outs + b"\x00\x00\x00\x00")
    txids = [hash256(cb_nowit)[::-1].hex()] + [t for _, t in txs]
    root = merkle_root(txids)
    if bad_merkle:
        root = bytes([root[0] ^ 1]) + root[1:]
    bits_v = int(tmpl["bits"], 16) if bits is None else bits
    header76 = (tmpl["version"].to_bytes(4, "little") +
                bytes.fromhex(prev or tmpl["previousblockhash"])[::-1] + root +
                (time or tmpl["curtime"]).to_bytes(4, "little") + bits_v.to_bytes(4, "little"))
    header = solve(header76, bits_v) if pow_solved else header76 + b"\x00" * 4
    body = compact(1 + len(txs)) + cb + b"".join(bytes.fromhex(raw) for raw, _ in txs)
    return (header + body).hex(), block_hash(header)


class MiningProposalTest(IopTestFramework):
    def propose(self, rpc, hexdata):
        return rpc.getblocktemplate({"mode": "proposal", "data": hexdata})

    def run_test(self):
        rpc = self.nodes[0].rpc
        self.log("mine coins to spend")
        coins = [mine_coinbase(rpc, ADDR) for _ in range(4)]
        rpc.generatetoaddress(100, ADDR)

        self.log("mempool_sequence counts additions and removals")
        seq = rpc.getrawmempool(False, True)
        assert_equal(seq["txids"], [])
        s0 = seq["mempool_sequence"]
        assert_equal(list(seq.keys()), ["txids", "mempool_sequence"])
        _, cb0, v0 = coins[0]
        tx = spend_p2wpkh(cb0, 0, v0, KEY, [(v0 - 20000, SPK)])
        txid = rpc.sendrawtransaction(tx.hex())
        seq = rpc.getrawmempool(False, True)
        assert_equal(seq, {"txids": [txid], "mempool_sequence": s0 + 1})
        assert_equal(rpc.getrawmempool(mempool_sequence=False), [txid])
        assert_raises_rpc_error(-8, "Verbose results cannot contain mempool sequence values.",
                                rpc.getrawmempool, True, True)
        rpc.sendrawtransaction(tx.hex())  # already there: no change
        assert_equal(rpc.getrawmempool(False, True)["mempool_sequence"], s0 + 1)

        self.log("a template with a transaction, proposed back: accepted, nothing stored")
        tmpl = rpc.getblocktemplate(RULES)
        assert_equal(tmpl["capabilities"], ["proposal"])
        assert_equal([t["txid"] for t in tmpl["transactions"]], [txid])
        value = tmpl["coinbasevalue"]
        txs = [(t["data"], t["txid"]) for t in tmpl["transactions"]]
        good, good_hash = make_block(tmpl, txs, value)
        height = rpc.getblockcount()
        tips = rpc.getchaintips()
        assert_equal(self.propose(rpc, good), None)
        # The template's own commitment is the one computed here.
        wc = bytes.fromhex(good)[80:]
        assert bytes.fromhex(tmpl["default_witness_commitment"]) in wc
        # An empty block and one paying less than allowed are fine too.
        assert_equal(self.propose(rpc, make_block(tmpl, [], value - 20000)[0]), None)
        assert_equal(self.propose(rpc, make_block(tmpl, txs, value - 1)[0]), None)
        # Nothing was stored or changed.
        assert_equal(rpc.getblockcount(), height)
        assert_equal(rpc.getchaintips(), tips)
        assert_raises_rpc_error(-5, "Block not found", rpc.getblockheader, good_hash)
        assert_equal(rpc.getrawmempool(), [txid])
        assert_equal(rpc.getrawmempool(False, True)["mempool_sequence"], s0 + 1)

        self.log("broken blocks: BIP22 reasons")
        # A transaction whose input does not exist.
        ghost = spend_p2wpkh("ab" * 32, 0, 100000, KEY, [(90000, SPK)])
        gtx = [(ghost.hex(), ghost.txid())]
        reasons = [
            (make_block(tmpl, txs, value, bad_merkle=True)[0], "bad-txnmrklroot"),
            (make_block(tmpl, txs, value + 1)[0], "bad-cb-amount"),
            (make_block(tmpl, txs, value, bits=0x207ffffe)[0], "bad-diffbits"),
            (make_block(tmpl, txs, value, time=tmpl["mintime"] - 1)[0], "time-too-old"),
            (make_block(tmpl, txs, value, time=tmpl["curtime"] + 3 * 3600)[0],
             "time-too-new"),
            (make_block(tmpl, txs, value, commitment=COMMIT_HEADER + b"\x11" * 32)[0],
             "bad-witness-merkle-match"),
            # CVE-2012-2459: a repeated last pair leaves the merkle root unchanged.
            (make_block(tmpl, txs + gtx + gtx, value)[0], "bad-txns-duplicate"),
            # Not a merkle mutation (odd count), so the second copy fails to connect.
            (make_block(tmpl, txs + txs, value)[0], "bad-txns-inputs-missingorspent"),
            (make_block(tmpl, gtx, value)[0], "bad-txns-inputs-missingorspent"),
        ]
        # A block without a coinbase: the pool transaction alone.
        hdr = bytes.fromhex(good)[:36] + merkle_root([txid]) + bytes.fromhex(good)[68:80]
        reasons.append(((hdr + compact(1) + tx.serialize()).hex(), "bad-cb-missing"))
        for hexdata, why in reasons:
            assert_equal(self.propose(rpc, hexdata), why)
        # A block whose parent is not the tip cannot be tested.
        other = make_block(tmpl, [], value, prev=rpc.getblockhash(height - 1))[0]
        assert_equal(self.propose(rpc, other), "inconclusive-not-best-prevblk")
        unknown = make_block(tmpl, [], value, prev="77" * 32)[0]
        assert_equal(self.propose(rpc, unknown), "inconclusive-not-best-prevblk")
        assert_equal(rpc.getblockcount(), height)
        assert_equal(rpc.getchaintips(), tips)

        self.log("request errors")
        assert_raises_rpc_error(-22, "Block decode failed", self.propose, rpc, "00")
        assert_raises_rpc_error(-22, "Block decode failed", self.propose, rpc, "zz")
        assert_raises_rpc_error(-22, "Block decode failed", self.propose, rpc, "")
        assert_raises_rpc_error(-3, "Missing data String key for proposal",
                                rpc.getblocktemplate, {"mode": "proposal"})
        assert_raises_rpc_error(-3, "Missing data String key for proposal",
                                rpc.getblocktemplate, {"mode": "proposal", "data": 5})
        assert_raises_rpc_error(-8, "Invalid mode", rpc.getblocktemplate,
                                {"mode": 5, "rules": ["segwit"]})
        assert_raises_rpc_error(-8, "Invalid mode", rpc.getblocktemplate,
                                {"mode": "Proposal", "data": good})

        self.log("known blocks: duplicate, duplicate-invalid, duplicate-inconclusive")
        mined, mined_hash = make_block(tmpl, txs, value, pow_solved=True)
        assert_equal(self.propose(rpc, mined), None)
        assert_equal(rpc.submitblock(mined), None)
        assert_equal(rpc.getbestblockhash(), mined_hash)
        assert_equal(self.propose(rpc, mined), "duplicate")
        # The pool transaction left with the block: one more step of the sequence.
        assert_equal(rpc.getrawmempool(False, True),
                     {"txids": [], "mempool_sequence": s0 + 2})
        # A sibling of the tip is stored but not connected.
        sibling, sibling_hash = make_block(tmpl, [], value - 20000, tag=b"\x01",
                                           pow_solved=True)
        assert_equal(rpc.submitblock(sibling), "inconclusive")
        assert_equal(self.propose(rpc, sibling), "duplicate-inconclusive")
        rpc.invalidateblock(mined_hash)
        assert_equal(self.propose(rpc, mined), "duplicate-invalid")
        rpc.reconsiderblock(mined_hash)
        assert_equal(rpc.getbestblockhash(), mined_hash)

        self.log("a proposal on the new tip spending the block's output")
        tmpl = rpc.getblocktemplate(RULES)
        child = spend_p2wpkh(txid, 0, v0 - 20000, KEY, [(v0 - 40000, SPK)])
        ctxs = [(child.hex(), child.txid())]
        assert_equal(self.propose(rpc, make_block(tmpl, ctxs, tmpl["coinbasevalue"] + 20000)[0]),
                     None)
        # Spending it twice in one block.
        child2 = spend_p2wpkh(txid, 0, v0 - 20000, KEY, [(v0 - 50000, SPK)])
        both = ctxs + [(child2.hex(), child2.txid())]
        assert_equal(self.propose(rpc, make_block(tmpl, both, tmpl["coinbasevalue"])[0]),
                     "bad-txns-inputs-missingorspent")
        # An immature coinbase spend: the block just mined pays SPK at the tip.
        young = rpc.getblock(rpc.getbestblockhash())["tx"][0]
        spend_young = spend_p2wpkh(young, 0, value, KEY, [(value - 10000, SPK)])
        assert_equal(self.propose(rpc, make_block(
            tmpl, [(spend_young.hex(), spend_young.txid())], tmpl["coinbasevalue"])[0]),
            "bad-txns-premature-spend-of-coinbase")
        # A bad signature.
        bad_sig = spend_p2wpkh(txid, 0, v0 - 20000, 2, [(v0 - 40000, SPK)])
        why = self.propose(rpc, make_block(tmpl, [(bad_sig.hex(), bad_sig.txid())],
                                           tmpl["coinbasevalue"])[0])
        assert why.startswith("mandatory-script-verify-flag-failed"), why

        self.log("generateblock runs TestBlockValidity before mining")
        assert_raises_rpc_error(-25, "TestBlockValidity failed: bad-txns-inputs-missingorspent",
                                rpc.generateblock, ADDR, [ghost.hex()])
        assert_equal(rpc.getblockcount(), height + 1)
        res = rpc.generateblock(ADDR, [child.hex()], False)
        assert_equal(rpc.getblockcount(), height + 1)
        assert_equal(self.propose(rpc, res["hex"]), None)
        assert_equal(rpc.submitblock(res["hex"]), None)
        assert_equal(self.propose(rpc, res["hex"]), "duplicate")
        assert_equal(rpc.getblockcount(), height + 2)


if __name__ == "__main__":
    run(MiningProposalTest)
