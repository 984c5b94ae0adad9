#!/usr/bin/env python3
"""The blockchain RPC methods and their errors, on Bitcoin's first 255 blocks
(btc-main, imported with -loadblock; no mining needed)."""
import os
import threading
import time

from test_framework.authproxy import JSONRPCException
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import (BTC_GENESIS, BTC_TIP_255, assert_equal, assert_in,
                                 assert_raises_rpc_error, btc_blocks_file, wait_until)

# Block 255's time plus an hour: the node is then out of initial block download, so
# -blocknotify runs (Core skips it during IBD and imports).
MOCKTIME = 1231797290 + 3600
# Block 1's coinbase: 50 BTC to a bare public key.
BLOCK1_COINBASE = "0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098"
BAD_HASH = "ab" * 32
HEADER_KEYS = ["hash", "confirmations", "height", "version", "versionHex", "merkleroot",
               "time", "mediantime", "nonce", "bits", "target", "difficulty", "chainwork",
               "nTx"]


class BlockchainTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.chain = "btc-main"

    def main(self):
        if not os.path.exists(btc_blocks_file()):
            print("skipped: %s not found (set IOP_VECTORS_DIR)" % btc_blocks_file())
            return 77
        return super().main()

    def run_test(self):
        node = self.nodes[0]
        self.notify_file = os.path.join(node.datadir, "blocks.txt")
        node.stop()
        node.start(["-loadblock=" + btc_blocks_file(), "-mocktime=%d" % MOCKTIME,
                    "-blocknotify=echo %%s >> %s" % self.notify_file])
        wait_until(lambda: node.rpc.getblockcount() == 255, what="import")
        wait_until(lambda: "(done)" in node.debug_log(), what="import end")
        self.rpc = node.rpc
        self.hashes = [self.rpc.getblockhash(h) for h in range(256)]
        self.check_info()
        self.check_getblockhash()
        self.check_getblock()
        self.check_getblockheader()
        self.check_txstats()
        self.check_gettxout()
        self.check_verifychain()
        self.check_invalidate()
        self.check_wait()
        self.check_blocknotify()

    def check_info(self):
        self.log("getblockchaininfo, getblockcount, getbestblockhash, getdifficulty")
        info = self.rpc.getblockchaininfo()
        for key, typ in [("chain", str), ("blocks", int), ("headers", int),
                         ("bestblockhash", str), ("bits", str), ("target", str),
                         ("difficulty", float), ("time", int), ("mediantime", int),
                         ("verificationprogress", float), ("initialblockdownload", bool),
                         ("chainwork", str), ("size_on_disk", int), ("pruned", bool),
                         ("warnings", list)]:
            assert isinstance(info[key], typ), (key, info[key])
        assert_equal(info["chain"], "btc-main")
        assert_equal(info["blocks"], 255)
        assert_equal(info["headers"], 255)
        assert_equal(info["bestblockhash"], BTC_TIP_255)
        assert_equal(info["difficulty"], 1.0)
        assert_equal(info["bits"], "1d00ffff")
        assert_equal(info["initialblockdownload"], False)
        assert_equal(info["pruned"], False)
        assert_equal(info["chainwork"], "%064x" % (256 * 0x100010001))
        assert info["size_on_disk"] > 255 * 215
        assert_equal(self.rpc.getblockcount(), 255)
        assert_equal(self.rpc.getbestblockhash(), BTC_TIP_255)
        assert_equal(self.rpc.getdifficulty(), 1.0)
        assert_raises_rpc_error(-1, "getblockcount", self.rpc.getblockcount, 1)

    def check_getblockhash(self):
        self.log("getblockhash")
        assert_equal(self.hashes[0], BTC_GENESIS)
        assert_equal(self.hashes[255], BTC_TIP_255)
        assert_equal(self.rpc.getblockhash(height=1), self.hashes[1])
        for h in (256, -1, -(1 << 31)):
            assert_raises_rpc_error(-8, "Block height out of range", self.rpc.getblockhash, h)
        # Core's getInt<int>: outside 32 bits or not whole.
        for h in (1 << 40, 1.5):
            assert_raises_rpc_error(-1, "JSON integer out of range", self.rpc.getblockhash, h)
        assert_raises_rpc_error(-3, "not of expected type number", self.rpc.getblockhash, "1")
        assert_raises_rpc_error(-1, None, self.rpc.getblockhash)

    def check_hash_errors(self, fn, name):
        assert_raises_rpc_error(-5, "Block not found", fn, BAD_HASH)
        assert_raises_rpc_error(-8, "%s must be of length 64 (not 3, for 'xyz')" % name, fn, "xyz")
        assert_raises_rpc_error(-8, "%s must be hexadecimal string (not '%s')" % (name, "zz" * 32),
                                fn, "zz" * 32)
        assert_raises_rpc_error(-3, "not of expected type string", fn, 123)

    def check_getblock(self):
        self.log("getblock")
        b = self.rpc.getblock(BTC_TIP_255)
        assert_equal(b["hash"], BTC_TIP_255)
        assert_equal(b["height"], 255)
        assert_equal(b["confirmations"], 1)
        assert_equal(b["nTx"], 1)
        assert_equal(len(b["tx"]), 1)
        assert_equal(b["tx"][0], b["merkleroot"])
        assert_equal(b["size"], b["strippedsize"])
        assert_equal(b["weight"], 4 * b["size"])
        assert_equal(b["previousblockhash"], self.hashes[254])
        assert "nextblockhash" not in b
        for k in HEADER_KEYS:
            assert_in(k, b)
        assert_equal(b["versionHex"], "00000001")
        assert_equal(b["target"], "00000000ffff" + "0" * 52)
        assert_equal(self.rpc.getblock(BTC_TIP_255, True), b)
        assert_equal(self.rpc.getblock(blockhash=BTC_TIP_255, verbosity=1), b)
        g = self.rpc.getblock(BTC_GENESIS)
        assert "previousblockhash" not in g
        assert_equal(g["nextblockhash"], self.hashes[1])
        assert_equal(g["confirmations"], 256)
        raw = self.rpc.getblock(BTC_TIP_255, 0)
        assert_equal(len(raw), 2 * b["size"])
        assert_equal(self.rpc.getblock(BTC_TIP_255, False), raw)
        assert_equal(raw[:160], self.rpc.getblockheader(BTC_TIP_255, False))
        self.check_hash_errors(self.rpc.getblock, "blockhash")
        assert_raises_rpc_error(-3, "not of expected type number", self.rpc.getblock,
                                BTC_TIP_255, "1")
        # Verbosity 2 and 3: decoded transactions with their hex. Block 170 holds the
        # first payment between two keys.
        b2 = self.rpc.getblock(self.hashes[170], 2)
        assert_equal(len(b2["tx"]), 2)
        cb, pay = b2["tx"]
        assert_in("coinbase", cb["vin"][0])
        assert_equal(cb["txid"], self.rpc.getblock(self.hashes[170])["tx"][0])
        assert_equal(pay["txid"], "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
        assert_equal(pay["vin"][0]["txid"], "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9")
        assert_equal([o["value"] for o in pay["vout"]], [10.0, 40.0])
        assert_in(pay["hex"], self.rpc.getblock(self.hashes[170], 0))
        # Verbosity 3 adds each input's prevout (from the undo data) before "sequence".
        b3 = self.rpc.getblock(self.hashes[170], 3)["tx"]
        assert_equal(pay["fee"], 0.0)
        prev = b3[1]["vin"][0].pop("prevout")
        assert_equal([prev["generated"], prev["height"], prev["value"]], [True, 9, 50.0])
        assert_equal(b3, b2["tx"])
        assert_equal(self.rpc.getblock(self.hashes[170], -1), self.rpc.getblock(self.hashes[170], 0))

    def check_getblockheader(self):
        self.log("getblockheader")
        h = self.rpc.getblockheader(self.hashes[100])
        b = self.rpc.getblock(self.hashes[100])
        for k in HEADER_KEYS + ["previousblockhash", "nextblockhash"]:
            assert_equal(h[k], b[k])
        assert "tx" not in h
        assert_equal(h["confirmations"], 156)
        assert_equal(h["nextblockhash"], self.hashes[101])
        assert_equal(len(self.rpc.getblockheader(self.hashes[100], False)), 160)
        self.check_hash_errors(self.rpc.getblockheader, "hash")
        assert_raises_rpc_error(-3, "not of expected type bool", self.rpc.getblockheader,
                                BTC_TIP_255, 1)

    def check_txstats(self):
        self.log("getchaintxstats")
        ntx = [self.rpc.getblockheader(h)["nTx"] for h in self.hashes]
        s = self.rpc.getchaintxstats()
        assert_equal(s["txcount"], sum(ntx))
        assert_equal(s["window_final_block_hash"], BTC_TIP_255)
        assert_equal(s["window_final_block_height"], 255)
        assert_equal(s["window_block_count"], 254)
        s = self.rpc.getchaintxstats(10, self.hashes[200])
        assert_equal(s["txcount"], sum(ntx[:201]))
        assert_equal(s["window_block_count"], 10)
        assert_equal(s["window_tx_count"], sum(ntx[191:201]))
        t200 = self.rpc.getblockheader(self.hashes[200])["time"]
        t190 = self.rpc.getblockheader(self.hashes[190])["time"]
        assert_equal(s["window_interval"], t200 - t190)
        assert_equal(self.rpc.getchaintxstats(0)["window_block_count"], 0)
        assert_raises_rpc_error(-8, "Invalid block count", self.rpc.getchaintxstats, 255)
        assert_raises_rpc_error(-8, "Invalid block count", self.rpc.getchaintxstats, -1)
        assert_raises_rpc_error(-5, "Block not found", self.rpc.getchaintxstats, 1, BAD_HASH)
        assert_raises_rpc_error(-8, "blockhash must be of length 64", self.rpc.getchaintxstats,
                                1, "00")

    def check_gettxout(self):
        self.log("gettxout")
        out = self.rpc.gettxout(BLOCK1_COINBASE, 0)
        assert_equal(out["bestblock"], BTC_TIP_255)
        assert_equal(out["confirmations"], 255)
        assert_equal(out["value"], 50.0)
        assert_equal(out["coinbase"], True)
        assert_equal(out["scriptPubKey"]["type"], "pubkey")
        assert out["scriptPubKey"]["hex"].startswith("41")
        assert out["scriptPubKey"]["asm"].endswith(" OP_CHECKSIG")
        assert out["scriptPubKey"]["desc"].startswith("pk(")
        assert "address" not in out["scriptPubKey"]
        assert_equal(self.rpc.gettxout(BLOCK1_COINBASE, 0, False), out)
        assert_equal(self.rpc.gettxout(BLOCK1_COINBASE, 1), None)
        assert_equal(self.rpc.gettxout(BAD_HASH, 0), None)
        assert_equal(self.rpc.gettxout(BLOCK1_COINBASE, -1), None)
        assert_raises_rpc_error(-1, "JSON integer out of range", self.rpc.gettxout,
                                BLOCK1_COINBASE, 1 << 32)
        assert_raises_rpc_error(-8, "txid must be of length 64", self.rpc.gettxout, "ab", 0)
        assert_raises_rpc_error(-8, "txid must be hexadecimal string", self.rpc.gettxout,
                                "g" * 64, 0)
        assert_raises_rpc_error(-3, "not of expected type number", self.rpc.gettxout,
                                BLOCK1_COINBASE, "0")
        assert_raises_rpc_error(-1, None, self.rpc.gettxout, BLOCK1_COINBASE)

    def check_verifychain(self):
        self.log("verifychain")
        assert_equal(self.rpc.verifychain(), True)
        assert_equal(self.rpc.verifychain(4, 0), True)
        assert_equal(self.rpc.verifychain(0, 1000), True)
        assert_raises_rpc_error(-8, "checklevel", self.rpc.verifychain, 5)
        assert_raises_rpc_error(-3, None, self.rpc.verifychain, "3")

    def check_invalidate(self):
        self.log("invalidateblock, reconsiderblock, getchaintips")
        assert_equal(self.rpc.getchaintips(),
                     [{"height": 255, "hash": BTC_TIP_255, "branchlen": 0, "status": "active"}])
        self.rpc.invalidateblock(self.hashes[250])
        assert_equal(self.rpc.getblockcount(), 249)
        assert_equal(self.rpc.getbestblockhash(), self.hashes[249])
        assert_equal(self.rpc.getchaintips(), [
            {"height": 255, "hash": BTC_TIP_255, "branchlen": 6, "status": "invalid"},
            {"height": 249, "hash": self.hashes[249], "branchlen": 0, "status": "active"},
        ])
        assert_equal(self.rpc.getblock(BTC_TIP_255)["confirmations"], -1)
        assert "nextblockhash" not in self.rpc.getblockheader(self.hashes[249])
        assert_raises_rpc_error(-8, "Block height out of range", self.rpc.getblockhash, 250)
        self.rpc.reconsiderblock(self.hashes[250])
        assert_equal(self.rpc.getbestblockhash(), BTC_TIP_255)
        assert_equal(len(self.rpc.getchaintips()), 1)
        # Invalidate the tip, then reconsider a descendant-less ancestor's child.
        self.rpc.invalidateblock(BTC_TIP_255)
        assert_equal(self.rpc.getblockcount(), 254)
        self.rpc.reconsiderblock(BTC_TIP_255)
        assert_equal(self.rpc.getblockcount(), 255)
        for fn in (self.rpc.invalidateblock, self.rpc.reconsiderblock):
            self.check_hash_errors(fn, "blockhash")
        assert_raises_rpc_error(-1, None, self.rpc.invalidateblock)

    def check_wait(self):
        self.log("waitfornewblock, waitforblockheight, waitforblock")
        tip = {"hash": BTC_TIP_255, "height": 255}
        assert_equal(self.rpc.waitforblockheight(100), tip)
        assert_equal(self.rpc.waitforblockheight(100, 1000), tip)
        start = time.time()
        assert_equal(self.rpc.waitforblockheight(300, 300), tip)
        assert time.time() - start >= 0.25
        assert_equal(self.rpc.waitforblock(BTC_TIP_255, 5000), tip)
        start = time.time()
        assert_equal(self.rpc.waitforblock(BAD_HASH, 200), tip)
        assert time.time() - start >= 0.15
        assert_equal(self.rpc.waitfornewblock(100), tip)
        assert_raises_rpc_error(-8, "blockhash must be of length 64", self.rpc.waitforblock, "00")
        assert_raises_rpc_error(-3, None, self.rpc.waitforblockheight, "1")
        # A tip change wakes a waiting call at once.
        results = []

        def waiter():
            results.append(self.nodes[0].proxy().waitfornewblock(20000))

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.3)
        start = time.time()
        self.rpc.invalidateblock(BTC_TIP_255)
        t.join(10)
        assert time.time() - start < 5
        assert_equal(results, [{"hash": self.hashes[254], "height": 254}])
        self.rpc.reconsiderblock(BTC_TIP_255)
        assert_equal(self.rpc.getbestblockhash(), BTC_TIP_255)

    def check_blocknotify(self):
        self.log("-blocknotify ran for each tip change after the import")
        expected = [self.hashes[249], BTC_TIP_255, self.hashes[254], BTC_TIP_255,
                    self.hashes[254], BTC_TIP_255]

        def lines():
            if not os.path.exists(self.notify_file):
                return []
            with open(self.notify_file) as f:
                return f.read().split()

        wait_until(lambda: len(lines()) >= len(expected), what="blocknotify")
        # Commands run on their own threads, so neighbours may swap.
        assert_equal(sorted(lines()), sorted(expected))


if __name__ == "__main__":
    run(BlockchainTest)
