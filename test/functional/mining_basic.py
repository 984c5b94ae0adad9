#!/usr/bin/env python3
"""Mining methods: generatetoaddress, generateblock, submitblock, getblocktemplate,
getmininginfo and getnetworkhashps on a regtest node, with the assembled blocks checked
by independent Python code (BIP34 height push, witness commitment and reserved value,
merkle root, coinbase value) and a block built from getblocktemplate by hand."""
import threading
import time

from test_framework.iop_tx import (
    G, block_hash, bip34_push, compact, hash256, merkle_root, mine_coinbase, p2wpkh_address,
    p2wpkh_script, parse_block, point_mul, pubkey, ser_bytes, ser_txout, spend_p2wpkh,
    amount_sat)
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in, assert_raises_rpc_error

KEY = 1
PUB = pubkey(KEY)
ADDR = p2wpkh_address(PUB)
SPK = p2wpkh_script(PUB)
COMMIT_HEADER = bytes.fromhex("6a24aa21a9ed")


def check_coinbase(txs, height, script, value=None):
    cb = txs[0]
    (prev, n, ss, seq) = cb["vin"][0]
    assert_equal(prev, b"\x00" * 32)
    assert_equal(n, 0xffffffff)
    assert ss.startswith(bip34_push(height)), ss.hex()
    assert_equal(cb["vout"][0][1], script)
    if value is not None:
        assert_equal(cb["vout"][0][0], value)
    # Witness commitment: last output 6a24aa21a9ed || SHA256d(witness root || 32 zeros).
    assert_equal(cb["witnesses"][0], [b"\x00" * 32])
    commit = cb["vout"][-1][1]
    assert commit.startswith(COMMIT_HEADER), commit.hex()
    wtxids = ["00" * 32] + [hash256(t["raw"])[::-1].hex() for t in txs[1:]]
    root = merkle_root(wtxids)
    assert_equal(commit[6:], hash256(root + b"\x00" * 32))


def solve(header76, bits):
    target = (bits & 0xffffff) << (8 * ((bits >> 24) - 3))
    for nonce in range(1 << 20):
        h = header76 + nonce.to_bytes(4, "little")
        if int.from_bytes(hash256(h), "little") <= target:
            return h
    raise AssertionError("no nonce found")


class MiningBasicTest(IopTestFramework):
    def run_test(self):
        rpc = self.nodes[0].rpc
        info = rpc.getmininginfo()
        assert_equal(info["blocks"], 0)
        assert_equal(info["chain"], "regtest")
        assert_equal(info["pooledtx"], 0)
        assert_equal(info["next"]["height"], 1)
        assert_equal(info["warnings"], [])

        self.log("generatetoaddress errors")
        assert_raises_rpc_error(-5, "Error: Invalid address", rpc.generatetoaddress, 1, "nope")
        assert_raises_rpc_error(-5, "Error: Invalid address", rpc.generatetoaddress, 1,
                                "tiop1qw508d6qejxtdg4y5r3zarvary0c5xw7k38tql9")
        assert_equal(rpc.generatetoaddress(0, ADDR), [])

        self.log("generateblock submit=false: BIP34, commitment, merkle root")
        res = rpc.generateblock(ADDR, [], False)
        header, txs = parse_block(bytes.fromhex(res["hex"]))
        assert_equal(block_hash(header), res["hash"])
        assert_equal(len(txs), 1)
        check_coinbase(txs, 1, SPK)
        assert_equal(header[36:68], merkle_root([t["txid"] for t in txs]))
        subsidy = txs[0]["vout"][0][0]
        assert subsidy > 0
        assert_equal(rpc.getmininginfo()["blocks"], 0)

        self.log("submitblock: accepted, then duplicate")
        assert_equal(rpc.submitblock(res["hex"]), None)
        assert_equal(rpc.getmininginfo()["blocks"], 1)
        assert_equal(rpc.submitblock(res["hex"]), "duplicate")
        assert_raises_rpc_error(-22, "Block decode failed", rpc.submitblock, "zz")
        assert_raises_rpc_error(-22, "Block decode failed", rpc.submitblock, "")
        assert_raises_rpc_error(-22, "Block decode failed", rpc.submitblock, res["hex"][:100])

        self.log("generatetoaddress 100")
        hashes = rpc.generatetoaddress(100, ADDR)
        assert_equal(len(hashes), 100)
        assert_equal(len(set(hashes)), 100)
        info = rpc.getmininginfo()
        assert_equal(info["blocks"], 101)
        assert_in("currentblockweight", info)
        assert_equal(info["currentblocktx"], 0)
        assert_equal(rpc.generatetoaddress(1, ADDR, 0), [])  # maxtries 0: no block
        assert rpc.getnetworkhashps() > 0
        assert_equal(rpc.getnetworkhashps(120, 0), 0)
        assert_raises_rpc_error(-8, "Block does not exist at specified height",
                                rpc.getnetworkhashps, 120, 1000)

        self.log("getblocktemplate")
        assert_raises_rpc_error(-8, "getblocktemplate must be called with the segwit rule set",
                                rpc.getblocktemplate)
        assert_raises_rpc_error(-8, "getblocktemplate must be called with the segwit rule set",
                                rpc.getblocktemplate, {"rules": []})
        assert_raises_rpc_error(-8, "Invalid mode", rpc.getblocktemplate,
                                {"mode": "bogus", "rules": ["segwit"]})
        tmpl = rpc.getblocktemplate({"rules": ["segwit"]})
        assert_equal(tmpl["height"], 102)
        assert_equal(tmpl["previousblockhash"], hashes[-1])
        assert_equal(tmpl["transactions"], [])
        assert_equal(tmpl["coinbasevalue"], subsidy)
        assert_equal(tmpl["rules"], ["csv", "!segwit", "taproot"])
        assert_equal(tmpl["vbavailable"], {})
        assert_equal(tmpl["vbrequired"], 0)
        assert_equal(tmpl["noncerange"], "00000000ffffffff")
        assert_equal(tmpl["sigoplimit"], 80000)
        assert_equal(tmpl["sizelimit"], 4000000)
        assert_equal(tmpl["weightlimit"], 4000000)
        assert_equal(tmpl["mutable"], ["time", "transactions", "prevblock"])
        assert tmpl["curtime"] >= tmpl["mintime"]
        bits = int(tmpl["bits"], 16)
        assert_equal(int(tmpl["target"], 16), (bits & 0xffffff) << (8 * ((bits >> 24) - 3)))
        # No transactions: the commitment is over the coinbase's zero wtxid alone.
        assert_equal(tmpl["default_witness_commitment"],
                     (COMMIT_HEADER + hash256(b"\x00" * 32 + b"\x00" * 32)).hex())

        assert_equal(tmpl["capabilities"], ["proposal"])
        assert_equal(tmpl["longpollid"][:64], hashes[-1])

        self.log("getblocktemplate long polling")
        # An id naming another tip answers at once.
        rpc.getblocktemplate({"rules": ["segwit"], "longpollid": "00" * 32 + "0"})
        answer = {}
        proxy = self.nodes[0].proxy()
        poll = threading.Thread(target=lambda: answer.update(proxy.getblocktemplate(
            {"rules": ["segwit"], "longpollid": tmpl["longpollid"]})))
        poll.start()
        time.sleep(0.5)
        assert poll.is_alive()
        assert_equal(rpc.getmininginfo()["blocks"], 101)  # the wait releases the lock
        new_tip = rpc.generatetoaddress(1, ADDR)[0]
        poll.join(10)
        assert not poll.is_alive()
        assert_equal(answer["previousblockhash"], new_tip)
        assert_equal(answer["height"], 103)
        tmpl = rpc.getblocktemplate({"rules": ["segwit"]})
        hashes.append(new_tip)

        self.log("a block built by hand from the template")
        block_hex, cb_value_ok = self.build_from_template(tmpl, tmpl["coinbasevalue"])
        bad_hex, _ = self.build_from_template(tmpl, tmpl["coinbasevalue"] + 1)
        assert_equal(rpc.submitblock(bad_hex), "bad-cb-amount")
        assert_equal(rpc.submitblock(bad_hex), "duplicate-invalid")
        assert_equal(rpc.submitblock(block_hex), None)
        assert_equal(rpc.getmininginfo()["blocks"], 103)
        # A block whose first transaction is not a coinbase.
        h, txs = parse_block(bytes.fromhex(block_hex))
        no_cb = h + compact(1) + spend_p2wpkh("11" * 32, 0, 1000, KEY, [(500, SPK)]).serialize()
        assert_raises_rpc_error(-22, "Block does not start with a coinbase", rpc.submitblock,
                                no_cb.hex())
        # Unknown parent.
        orphan_hex, _ = self.build_from_template(dict(tmpl, previousblockhash="22" * 32),
                                                 tmpl["coinbasevalue"])
        assert_equal(rpc.submitblock(orphan_hex), "prev-blk-not-found")

        self.log("generateblock with a mempool txid and with a raw transaction")
        # Spend the coinbase of block 1 (101 confirmations by now).
        _, cbtxs = parse_block(bytes.fromhex(res["hex"]))
        cb_txid = cbtxs[0]["txid"]
        fee = 10000
        tx = spend_p2wpkh(cb_txid, 0, subsidy, KEY, [(subsidy - fee, SPK)])
        txid = rpc.sendrawtransaction(tx.hex())
        assert_equal(txid, tx.txid())
        tmpl = rpc.getblocktemplate({"rules": ["segwit"]})
        assert_equal(len(tmpl["transactions"]), 1)
        t0 = tmpl["transactions"][0]
        assert_equal(t0["txid"], txid)
        assert_equal(t0["data"], tx.hex())
        assert_equal(t0["fee"], fee)
        assert_equal(t0["depends"], [])
        assert_equal(t0["weight"], 3 * len(tx.serialize(False)) + len(tx.serialize()))
        assert_equal(tmpl["coinbasevalue"], subsidy + fee)
        assert_raises_rpc_error(-5, "not in mempool", rpc.generateblock, ADDR, ["33" * 32])
        assert_raises_rpc_error(-22, "Transaction decode failed", rpc.generateblock, ADDR, ["0011"])
        assert_raises_rpc_error(-5, "Invalid address or descriptor", rpc.generateblock, "x", [])
        gen = rpc.generateblock(ADDR, [txid])
        assert_equal(rpc.getmininginfo()["pooledtx"], 0)
        assert_equal(rpc.getmininginfo()["blocks"], 104)
        # generateblock with a raw transaction: spend the output just confirmed.
        tx2 = spend_p2wpkh(txid, 0, subsidy - fee, KEY, [(subsidy - 2 * fee, SPK)])
        res2 = rpc.generateblock(ADDR, [tx2.hex()], False)
        _, txs2 = parse_block(bytes.fromhex(res2["hex"]))
        assert_equal([t["txid"] for t in txs2[1:]], [tx2.txid()])
        check_coinbase(txs2, 105, SPK, subsidy)  # generateblock claims no fees (as Core)
        assert_equal(rpc.submitblock(res2["hex"]), None)
        assert_equal(rpc.getmininginfo()["blocks"], 105)
        assert gen["hash"] != res2["hash"]
        # An invalid transaction (its input is now spent) makes generateblock fail.
        assert_raises_rpc_error(-25, "TestBlockValidity failed", rpc.generateblock, ADDR,
                                [tx2.hex()])

        self.log("assembler: fee order and a parent/child package")
        coins = [mine_coinbase(rpc, ADDR) for _ in range(3)]
        rpc.generatetoaddress(100, ADDR)
        ids = []
        for i, (_, cbid, value) in enumerate(coins):
            t = spend_p2wpkh(cbid, 0, value, KEY, [(value - 1000 * (i + 1) * 10, SPK)])
            ids.append(rpc.sendrawtransaction(t.hex()))
            if i == 0:
                parent, parent_value = t, value - 10000
        child = spend_p2wpkh(parent.txid(), 0, parent_value, KEY, [(parent_value - 200000, SPK)])
        ids.append(rpc.sendrawtransaction(child.hex()))
        tmpl = rpc.getblocktemplate({"rules": ["segwit"]})
        order = [t["txid"] for t in tmpl["transactions"]]
        assert_equal(sorted(order), sorted(ids))
        # The child's package (parent + child) pays the most, parent comes first.
        assert order.index(ids[0]) < order.index(ids[3])
        assert_equal(tmpl["transactions"][order.index(ids[3])]["depends"],
                     [order.index(ids[0]) + 1])
        assert order.index(ids[2]) < order.index(ids[1])
        fees = sum(t["fee"] for t in tmpl["transactions"])
        assert_equal(fees, 10000 + 20000 + 30000 + 200000)
        # Regtest halves the subsidy every 150 blocks.
        assert_equal(tmpl["coinbasevalue"], (subsidy >> (tmpl["height"] // 150)) + fees)
        blocks_before = rpc.getmininginfo()["blocks"]
        rpc.generatetoaddress(1, ADDR)
        assert_equal(rpc.getmininginfo()["blocks"], blocks_before + 1)
        assert_equal(rpc.getmininginfo()["pooledtx"], 0)
        assert_equal(rpc.getmininginfo()["currentblocktx"], 4)

    def build_from_template(self, tmpl, value):
        height = tmpl["height"]
        commit = bytes.fromhex(tmpl["default_witness_commitment"])
        ss = bip34_push(height) + b"\x00"
        cb = (b"\x02\x00\x00\x00" + b"\x00\x01" + compact(1) + b"\x00" * 32 +
              b"\xff\xff\xff\xff" + ser_bytes(ss) + b"\xff\xff\xff\xff" + compact(2) +
              ser_txout(value, SPK) + ser_txout(0, commit) + compact(1) +
              ser_bytes(b"\x00" * 32) + b"\x00\x00\x00\x00")
        cb_nowit = (b"\x02\x00\x00\x00" + compact(1) + b"\x00" * 32 + b"\xff\xff\xff\xff" +
                    ser_bytes(ss) + b"\xff\xff\xff\xff" + compact(2) + ser_txout(value, SPK) +
                    ser_txout(0, commit) + b"\x00\x00\x00\x00")
        txids = [hash256(cb_nowit)[::-1].hex()] + [t["txid"] for t in tmpl["transactions"]]
        header76 = (tmpl["version"].to_bytes(4, "little") +
                    bytes.fromhex(tmpl["previousblockhash"])[::-1] + merkle_root(txids) +
                    tmpl["curtime"].to_bytes(4, "little") +
                    int(tmpl["bits"], 16).to_bytes(4, "little"))
        header = solve(header76, int(tmpl["bits"], 16))
        body = compact(1 + len(tmpl["transactions"])) + cb + b"".join(
            bytes.fromhex(t["data"]) for t in tmpl["transactions"])
        return (header + body).hex(), True


if __name__ == "__main__":
    run(MiningBasicTest)
