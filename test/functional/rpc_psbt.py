#!/usr/bin/env python3
"""PSBT methods on a regtest node: createpsbt/converttopsbt -> decodepsbt, utxoupdatepsbt
filling a witness UTXO from the chain (a coinbase mined to a P2WPKH key of this test),
a partial signature made here in Python (stdlib signing from test_framework/iop_tx.py)
added to the PSBT by a small PSBT codec written here, analyzepsbt's next roles along
the way, combinepsbt of two halves, finalizepsbt extract=true and sendrawtransaction of
the result, joinpsbts, and Core's error codes.

Skipped while iopd does not register the PSBT table (src/chain/psbt_rpc.h)."""
import base64

from test_framework.authproxy import JSONRPCException
from test_framework.iop_tx import (
    Tx, amount_sat, hash160, mine_coinbase, p2wpkh_address, p2wpkh_script, pubkey,
    sign_p2wpkh)
from test_framework.test_framework import IopTestFramework, SkipTest, run
from test_framework.util import assert_equal, assert_raises_rpc_error

KEY = 7
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)
DEST = p2wpkh_address(pubkey(8))


# ---- a minimal PSBT codec (BIP174), independent of iopd ----

def read_compact(b, i):
    n = b[i]
    if n < 253:
        return n, i + 1
    size = {253: 2, 254: 4, 255: 8}[n]
    return int.from_bytes(b[i + 1:i + 1 + size], "little"), i + 1 + size


def compact(n):
    if n < 253:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def read_map(b, i):
    pairs = []
    while True:
        klen, i = read_compact(b, i)
        if klen == 0:
            return pairs, i
        key = b[i:i + klen]
        i += klen
        vlen, i = read_compact(b, i)
        pairs.append((key, b[i:i + vlen]))
        i += vlen


def psbt_decode(text):
    """[global pairs], [input maps], [output maps]; counts from the unsigned tx."""
    b = base64.b64decode(text)
    assert b[:5] == b"psbt\xff"
    glob, i = read_map(b, 5)
    utx = dict(glob)[b"\x00"]
    j = 4
    nin, j = read_compact(utx, j)
    j += 41 * nin  # outpoint, empty scriptSig, sequence
    nout, j = read_compact(utx, j)
    ins, outs = [], []
    for _ in range(nin):
        m, i = read_map(b, i)
        ins.append(m)
    for _ in range(nout):
        m, i = read_map(b, i)
        outs.append(m)
    assert i == len(b)
    return glob, ins, outs


def psbt_encode(glob, ins, outs):
    out = b"psbt\xff"
    for m in [glob] + ins + outs:
        for k, v in sorted(m):
            out += compact(len(k)) + k + compact(len(v)) + v
        out += b"\x00"
    return base64.b64encode(out).decode()


class PsbtTest(IopTestFramework):
    def run_test(self):
        rpc = self.nodes[0].rpc
        try:
            rpc.decodepsbt("cHNidP8BAAoCAAAAAAAAAAAAAAA=")
        except JSONRPCException as e:
            if e.error["code"] == -32601:
                raise SkipTest("the PSBT table (src/chain/psbt_rpc.h) is not registered in iopd yet")

        self.log("createpsbt / converttopsbt / decodepsbt")
        fake = "11" * 32
        created = rpc.createpsbt([{"txid": fake, "vout": 1}], [{DEST: 1.5}, {"data": "00ff"}])
        raw = rpc.createrawtransaction([{"txid": fake, "vout": 1}], [{DEST: 1.5}, {"data": "00ff"}])
        assert_equal(rpc.converttopsbt(raw), created)
        dec = rpc.decodepsbt(created)
        assert_equal(dec["tx"], rpc.decoderawtransaction(raw))
        assert_equal(dec["psbt_version"], 0)
        assert_equal(dec["global_xpubs"], [])
        assert_equal(dec["proprietary"], [])
        assert_equal(dec["unknown"], {})
        assert_equal(dec["inputs"], [{}])
        assert_equal(dec["outputs"], [{}, {}])
        assert "fee" not in dec
        an = rpc.analyzepsbt(created)
        assert_equal(an["next"], "updater")
        assert_equal(an["inputs"], [{"has_utxo": False, "is_final": False, "next": "updater"}])

        self.log("errors")
        assert_raises_rpc_error(-22, "TX decode failed invalid base64", rpc.decodepsbt, "!!")
        assert_raises_rpc_error(-22, "TX decode failed Invalid PSBT magic bytes", rpc.decodepsbt,
                                base64.b64encode(bytes.fromhex(raw)).decode())
        truncated = base64.b64encode(base64.b64decode(created)[:-1]).decode()
        assert_raises_rpc_error(-22, "TX decode failed Outputs provided does not match",
                                rpc.decodepsbt, truncated)
        assert_raises_rpc_error(-8, "Parameter 'txs' cannot be empty", rpc.combinepsbt, [])
        assert_raises_rpc_error(-8, "At least two PSBTs are required to join PSBTs.",
                                rpc.joinpsbts, [created])
        assert_raises_rpc_error(-8, "exists in multiple PSBTs", rpc.joinpsbts, [created, created])
        assert_raises_rpc_error(-22, "TX decode failed", rpc.converttopsbt, "00zz")
        other = rpc.createpsbt([{"txid": fake, "vout": 2}], [{DEST: 1}])
        assert_raises_rpc_error(-25, "PSBTs not compatible (different transactions)",
                                rpc.combinepsbt, [created, other])

        self.log("joinpsbts")
        joined = rpc.decodepsbt(rpc.joinpsbts([created, other]))
        assert_equal(len(joined["inputs"]), 2)
        assert_equal(len(joined["outputs"]), 3)
        assert_equal(sorted(i["vout"] for i in joined["tx"]["vin"]), [1, 2])

        self.log("a coin for a key of this test, filled in by utxoupdatepsbt")
        _, cb_txid, cb_value = mine_coinbase(rpc, ADDR)
        rpc.generatetoaddress(100, DEST)
        fee = 10000
        send = cb_value - fee
        psbt = rpc.createpsbt([{"txid": cb_txid, "vout": 0}], [{DEST: send / 1e8}])
        updated = rpc.utxoupdatepsbt(psbt)
        dec = rpc.decodepsbt(updated)
        assert_equal(amount_sat(dec["inputs"][0]["witness_utxo"]["amount"]), cb_value)
        assert_equal(dec["inputs"][0]["witness_utxo"]["scriptPubKey"]["hex"], SPK.hex())
        assert_equal(amount_sat(dec["fee"]), fee)
        an = rpc.analyzepsbt(updated)
        assert_equal(an["next"], "updater")
        assert_equal(an["inputs"][0]["missing"], {"pubkeys": [hash160(PUB).hex()]})
        assert_equal(amount_sat(an["fee"]), fee)
        # An input the node does not know stays as it was.
        assert_equal(rpc.utxoupdatepsbt(created), created)

        self.log("signing in Python: a BIP32 path, then a partial signature")
        glob, ins, outs = psbt_decode(updated)
        utx = Tx([(bytes.fromhex(cb_txid)[::-1], 0, 0xfffffffd)], [(send, bytes.fromhex(
            dec["tx"]["vout"][0]["scriptPubKey"]["hex"]))])
        assert_equal(utx.serialize(False), dict(glob)[b"\x00"])
        sign_p2wpkh(utx, 0, KEY, cb_value)
        sig = utx.witnesses[0][0]
        path = bytes.fromhex("0a0b0c0d") + (0x80000054).to_bytes(4, "little")
        half_a = psbt_encode(glob, [ins[0] + [(b"\x06" + PUB, path)]], outs)
        half_b = psbt_encode(glob, [ins[0] + [(b"\x02" + PUB, sig)]], outs)
        an = rpc.analyzepsbt(half_a)
        assert_equal(an["next"], "signer")
        assert_equal(an["inputs"][0]["missing"], {"signatures": [hash160(PUB).hex()]})
        an = rpc.analyzepsbt(half_b)
        assert_equal(an["next"], "finalizer")
        assert_equal(an["estimated_vsize"], utx.vsize())
        dec_a = rpc.decodepsbt(half_a)
        assert_equal(dec_a["inputs"][0]["bip32_derivs"],
                     [{"pubkey": PUB.hex(), "master_fingerprint": "0a0b0c0d", "path": "m/84h"}])

        self.log("combinepsbt of the two halves")
        both = rpc.combinepsbt([half_a, half_b])
        assert_equal(both, rpc.combinepsbt([half_b, half_a]))
        dec = rpc.decodepsbt(both)
        assert_equal(dec["inputs"][0]["partial_signatures"], {PUB.hex(): sig.hex()})
        assert_equal(len(dec["inputs"][0]["bip32_derivs"]), 1)

        self.log("finalizepsbt, then sendrawtransaction")
        res = rpc.finalizepsbt(both, False)
        assert_equal(res["complete"], True)
        fin = rpc.decodepsbt(res["psbt"])
        assert_equal(fin["inputs"][0]["final_scriptwitness"], [sig.hex(), PUB.hex()])
        assert "partial_signatures" not in fin["inputs"][0]
        assert_equal(rpc.analyzepsbt(res["psbt"])["next"], "extractor")
        res = rpc.finalizepsbt(both)
        assert_equal(res["complete"], True)
        assert_equal(res["hex"], utx.hex())
        txid = rpc.sendrawtransaction(res["hex"])
        assert_equal(txid, utx.txid())

        self.log("a PSBT with a final witness built here")
        glob2, ins2, outs2 = psbt_decode(updated)
        witness = compact(2) + compact(len(sig)) + sig + compact(len(PUB)) + PUB
        final_only = psbt_encode(glob2, [ins2[0] + [(b"\x08", witness)]], outs2)
        res = rpc.finalizepsbt(final_only, True)
        assert_equal(res, {"hex": utx.hex(), "complete": True})

        self.log("the spent coin is now in the mempool: the updater still finds it there")
        psbt2 = rpc.createpsbt([{"txid": txid, "vout": 0}], [{ADDR: (send - fee) / 1e8}])
        dec = rpc.decodepsbt(rpc.utxoupdatepsbt(psbt2))
        assert_equal(amount_sat(dec["inputs"][0]["witness_utxo"]["amount"]), send)
        rpc.generatetoaddress(1, DEST)
        assert_equal(rpc.getrawmempool(), [])


if __name__ == "__main__":
    run(PsbtTest)
