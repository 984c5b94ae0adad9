#!/usr/bin/env python3
"""The wallet's PSBT methods and the smaller wallet methods, on two nodes:
walletcreatefundedpsbt (fee, changepos, UTXOs and BIP32 derivations filled, nothing signed,
works on a locked wallet), walletprocesspsbt signing and finalizing, finalizepsbt and
sendrawtransaction; a transaction spending coins of two wallets built as a PSBT, each wallet
signing its half, combinepsbt joining them; send with psbt=true; the error codes (-22 bad
PSBT, -8 bad sighash type, -13 locked wallet); signmessage checked by verifymessage (and
-3 for a non-P2PKH address); backupwallet while loaded, then restorewallet on the other
node finding the same balance, -36 when the name exists, -8 without a backup file;
listsinceblock since a block, its lastblock, and across a reorg (include_removed);
-walletnotify (when the daemon has it) writing txid, wallet name, "unconfirmed"/-1 when a
payment arrives and the block hash and height when it confirms.

Skips (exit 77) when the daemon does not have walletprocesspsbt yet."""
import os

from test_framework.authproxy import JSONRPCException
from test_framework.iop_tx import amount_sat, p2wpkh_address, pubkey
from test_framework.node import daemon_knows
from test_framework.test_framework import IopTestFramework, SkipTest, run
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until

KEY = 43  # the miner's key: its coins belong to no wallet
FALLBACK = "-fallbackfee=0.0002"  # 20 sat/vB
COIN = 10**8


class WalletPsbtMiscTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.p2p = True
        self.extra_args = [[FALLBACK], [FALLBACK]]

    def mine(self, n=1):
        self.sync_mempools()
        self.nodes[1].rpc.generatetoaddress(n, p2wpkh_address(pubkey(KEY)))
        self.sync_blocks()

    def run_test(self):
        n0, n1 = self.nodes
        try:
            n0.rpc.walletprocesspsbt("")
        except JSONRPCException as e:
            if e.error.get("code") == -32601:
                raise SkipTest("walletprocesspsbt not wired into iopd yet")
        self.connect_nodes(1, 0)
        n0.rpc.createwallet("a")
        n1.rpc.createwallet("b")
        wa = n0.proxy(path="/wallet/a")
        wb = n1.proxy(path="/wallet/b")

        self.log("coins for both wallets: bech32, legacy and bech32m coinbases")
        n0.rpc.generatetoaddress(1, wa.getnewaddress())
        n0.rpc.generatetoaddress(1, wa.getnewaddress("", "legacy"))
        n0.rpc.generatetoaddress(1, wa.getnewaddress("", "bech32m"))
        n0.rpc.generatetoaddress(1, wb.getnewaddress())
        self.sync_blocks()
        self.mine(100)
        assert_equal(amount_sat(wa.getbalance()), 30 * COIN)
        assert_equal(amount_sat(wb.getbalance()), 10 * COIN)

        self.log("walletcreatefundedpsbt: funded, unsigned, with UTXOs and derivations")
        to = wb.getnewaddress()
        r = wa.walletcreatefundedpsbt([], [{to: 25}], 0, {"fee_rate": 10})
        assert r["changepos"] in (0, 1)
        dec = n0.rpc.decodepsbt(r["psbt"])
        assert_equal(len(dec["inputs"]), 3)  # 25 IOP needs all three coins
        assert_equal(dec["tx"]["locktime"], 0)
        ins = 0
        for i in dec["inputs"]:
            assert "partial_signatures" not in i and "final_scriptwitness" not in i
            if "witness_utxo" in i:
                ins += amount_sat(i["witness_utxo"]["amount"])
            else:
                assert "non_witness_utxo" in i
            assert "bip32_derivs" in i or "taproot_bip32_derivs" in i
        assert_equal(amount_sat(dec["fee"]), amount_sat(r["fee"]))
        change = dec["outputs"][r["changepos"]]
        assert "bip32_derivs" in change or "taproot_bip32_derivs" in change
        assert_equal(amount_sat(dec["tx"]["vout"][r["changepos"]]["value"]) +
                     25 * COIN + amount_sat(r["fee"]), 30 * COIN)
        nod = wa.walletcreatefundedpsbt([], [{to: 1}], 0, {"fee_rate": 10}, False)
        dn = n0.rpc.decodepsbt(nod["psbt"])
        assert all("bip32_derivs" not in i and "taproot_bip32_derivs" not in i
                   for i in dn["inputs"])

        self.log("walletprocesspsbt signs and finalizes; finalizepsbt; sendrawtransaction")
        unsigned = wa.walletprocesspsbt(r["psbt"], False)
        assert_equal(unsigned["complete"], False)
        assert "hex" not in unsigned
        signed = wa.walletprocesspsbt(r["psbt"], True, "ALL", True, False)
        assert_equal(signed["complete"], True)
        assert "hex" not in signed
        fin = n0.rpc.finalizepsbt(signed["psbt"])
        assert_equal(fin["complete"], True)
        done = wa.walletprocesspsbt(r["psbt"])
        assert_equal(done["complete"], True)
        # Same transaction (Schnorr signatures use fresh auxiliary randomness; "ALL" makes
        # the Taproot signature 65 bytes where the default is 64).
        assert_equal(n0.rpc.decoderawtransaction(done["hex"])["txid"],
                     n0.rpc.decoderawtransaction(fin["hex"])["txid"])
        assert n0.rpc.decoderawtransaction(done["hex"])["vsize"] < \
            n0.rpc.decoderawtransaction(fin["hex"])["vsize"] + 1
        txid = n0.rpc.sendrawtransaction(fin["hex"])
        self.mine()
        assert_equal(wa.gettransaction(txid)["confirmations"], 1)
        assert_equal(amount_sat(wb.getbalance()), 35 * COIN)
        assert_equal(amount_sat(wa.getbalance()), 5 * COIN - amount_sat(r["fee"]))

        self.log("a transaction spending coins of both wallets: each signs, combinepsbt")
        ua = wa.listunspent()[0]
        ub = wb.listunspent()[0]
        dest = wb.getnewaddress()
        total = amount_sat(ua["amount"]) + amount_sat(ub["amount"]) - 10000
        raw = n0.rpc.createpsbt([{"txid": ua["txid"], "vout": ua["vout"]},
                                 {"txid": ub["txid"], "vout": ub["vout"]}],
                                [{dest: "%d.%08d" % (total // COIN, total % COIN)}])
        pa = wa.walletprocesspsbt(raw)
        assert_equal(pa["complete"], False)
        pb = wb.walletprocesspsbt(raw)
        assert_equal(pb["complete"], False)
        both = n0.rpc.combinepsbt([pa["psbt"], pb["psbt"]])
        fin = n0.rpc.finalizepsbt(both)
        assert_equal(fin["complete"], True)
        txid = n1.rpc.sendrawtransaction(fin["hex"])
        self.mine()
        assert_equal(wb.gettransaction(txid)["confirmations"], 1)
        # Processing the other's PSBT completes it too.
        assert_equal(wb.walletprocesspsbt(pa["psbt"])["complete"], True)

        self.log("send with psbt=true returns the PSBT and the transaction, unbroadcast")
        before = n0.rpc.getmempoolinfo()["size"]
        s = wb.send([{wa.getnewaddress(): 1}], None, "unset", 5, {"psbt": True})
        assert_equal(s["complete"], True)
        assert "psbt" in s and "hex" in s
        assert_equal(n1.rpc.getmempoolinfo()["size"], before)
        assert_equal(n1.rpc.testmempoolaccept([s["hex"]])[0]["allowed"], True)

        self.log("errors: -22 bad PSBT, -8 bad sighash, -13 locked")
        assert_raises_rpc_error(-22, "TX decode failed", wa.walletprocesspsbt, "nope")
        assert_raises_rpc_error(-8, "'FOO' is not a valid sighash parameter.",
                                wa.walletprocesspsbt, r["psbt"], True, "FOO")
        n1.rpc.createwallet("enc", False, False, "pw")
        we = n1.proxy(path="/wallet/enc")
        n1.rpc.generatetoaddress(1, we.getnewaddress())
        self.mine(100)
        funded = we.walletcreatefundedpsbt([], [{wa.getnewaddress(): 1}])
        assert_raises_rpc_error(-13, "walletpassphrase", we.walletprocesspsbt, funded["psbt"])
        assert_equal(we.walletprocesspsbt(funded["psbt"], False)["complete"], False)
        locked_send = we.send([{wa.getnewaddress(): 1}])
        assert_equal(locked_send["complete"], False)
        assert "psbt" in locked_send and "txid" not in locked_send
        we.walletpassphrase("pw", 60)
        assert_equal(we.walletprocesspsbt(funded["psbt"])["complete"], True)
        we.walletlock()

        self.log("signmessage / verifymessage")
        legacy = wa.getnewaddress("", "legacy")
        sig = wa.signmessage(legacy, "hello iop")
        assert_equal(n1.rpc.verifymessage(legacy, sig, "hello iop"), True)
        assert_equal(n1.rpc.verifymessage(legacy, sig, "hello iop!"), False)
        assert_equal(wa.signmessage(legacy, "hello iop"), sig)  # deterministic
        assert_raises_rpc_error(-3, "Address does not refer to key", wa.signmessage,
                                wa.getnewaddress(), "x")
        assert_raises_rpc_error(-3, "Invalid address", wa.signmessage, "nope", "x")
        assert_raises_rpc_error(-4, "Private key not available", wa.signmessage,
                                wb.getnewaddress("", "legacy"), "x")
        enc_legacy = we.getnewaddress("", "legacy")
        assert_raises_rpc_error(-13, "walletpassphrase", we.signmessage, enc_legacy, "x")

        self.log("backupwallet while loaded, restorewallet on the other node")
        wb.sendtoaddress(wa.getnewaddress(), 3)
        self.mine()
        balance = wa.getbalance()
        assert_equal(amount_sat(balance), 3 * COIN)
        backup = os.path.join(self.tmpdir, "a-backup.dat")
        assert_equal(wa.backupwallet(backup), None)
        assert os.path.getsize(backup) > 0
        assert_equal(os.stat(backup).st_mode & 0o077, 0)
        wa.backupwallet(backup)  # an existing file is replaced
        assert_equal(n1.rpc.restorewallet("a2", backup), {"name": "a2"})
        wr = n1.proxy(path="/wallet/a2")
        assert_equal(wr.getbalance(), balance)
        assert_equal(wr.signmessage(legacy, "hello iop"), sig)
        assert_raises_rpc_error(-36, "Database already exists", n1.rpc.restorewallet, "a2",
                                backup)
        assert_raises_rpc_error(-36, "Database already exists", n1.rpc.restorewallet, "b",
                                backup)
        assert_raises_rpc_error(-8, "Backup file does not exist", n1.rpc.restorewallet, "a3",
                                backup + ".missing")
        assert_raises_rpc_error(-4, "Error: Wallet backup failed!", wa.backupwallet,
                                self.tmpdir)
        # The original keeps working after the backup.
        wa.sendtoaddress(wb.getnewaddress(), 1)
        self.mine()
        assert_equal(wr.getbalance(), wa.getbalance())

        self.log("listsinceblock: since a block, lastblock, and across a reorg (removed)")
        h0 = n0.rpc.getbestblockhash()
        t1 = wb.sendtoaddress(wa.getnewaddress(), 1)
        self.mine()
        b1 = n0.rpc.getbestblockhash()
        r = wa.listsinceblock(h0)
        assert_equal(r["lastblock"], b1)
        assert_equal([e["category"] for e in r["transactions"] if e["txid"] == t1],
                     ["receive"])
        assert_equal(r["removed"], [])
        assert_equal([e for e in wa.listsinceblock(b1)["transactions"] if e["txid"] == t1], [])
        assert_equal(wa.listsinceblock(b1, 2)["lastblock"], h0)
        assert len(wa.listsinceblock()["transactions"]) >= len(r["transactions"])
        assert_raises_rpc_error(-5, "Block not found", wa.listsinceblock, "00" * 32)
        assert_raises_rpc_error(-8, "Invalid parameter", wa.listsinceblock, h0, 0)
        self.disconnect_nodes(1, 0)
        n0.rpc.invalidateblock(b1)
        n0.rpc.generatetoaddress(2, p2wpkh_address(pubkey(KEY + 1)))  # not the same block
        r = wa.listsinceblock(b1)
        assert_equal([e["txid"] for e in r["removed"]], [t1])
        assert_equal(r["lastblock"], n0.rpc.getbestblockhash())
        # Mined again in the new chain (it went back to the mempool).
        again = [e for e in r["transactions"] if e["txid"] == t1]
        assert_equal(len(again), 1)
        assert again[0]["blockhash"] != b1
        assert "removed" not in wa.listsinceblock(b1, 1, False, False)
        self.connect_nodes(1, 0)
        self.sync_blocks()

        if not daemon_knows(n1.iopd, "-walletnotify"):
            self.log("-walletnotify: not wired into iopd yet, skipped")
            return
        self.log("-walletnotify: arrival (unconfirmed, -1) and confirmation (block, height)")
        notes = os.path.join(self.tmpdir, "notify")
        os.mkdir(notes)
        n1.stop()
        n1.start(extra_args=[FALLBACK, "-walletnotify=echo %%b %%h %%w >> %s/%%s" % notes])
        n1.rpc.loadwallet("b")
        wb = n1.proxy(path="/wallet/b")  # a new cookie
        self.connect_nodes(1, 0)
        txid = wa.sendtoaddress(wb.getnewaddress(), "0.5")
        path = os.path.join(notes, txid)
        wait_until(lambda: os.path.exists(path) and open(path).read().endswith("\n"),
                   what="walletnotify for the arrival")
        assert_equal(open(path).read(), "unconfirmed -1 b\n")
        self.mine()
        block = n1.rpc.getbestblockhash()
        height = n1.rpc.getblockcount()
        wait_until(lambda: len(open(path).read().splitlines()) == 2,
                   what="walletnotify for the confirmation")
        assert_equal(open(path).read().splitlines()[1], "%s %d b" % (block, height))
        # A wallet of the other node knows nothing of it: no file for its own txids.
        assert_equal(sorted(os.listdir(notes)), [txid])


if __name__ == "__main__":
    run(WalletPsbtMiscTest)
