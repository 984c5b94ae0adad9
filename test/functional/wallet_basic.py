#!/usr/bin/env python3
"""The receiving half of the wallet over RPC, on two nodes: createwallet and the
wallet-selection errors, addresses of the three types with their BIP44/84/86 paths,
mined coins immature then trusted (exact to the satoshi), a payment from another node
seen in the mempool then confirmed, a reorg taking it back to unconfirmed, -wallet=
loading at start-up, kill -9 and restart keeping addresses and coins, restore from the
mnemonic finding the same coins, encryption (locked wallet refuses private descriptors,
wrong passphrase -14), and -disablewallet."""
import os
import signal

from test_framework.authproxy import JSONRPCException
from test_framework.iop_tx import amount_sat, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until

KEY = 41


class WalletBasicTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.p2p = True

    def run_test(self):
        n0, n1 = self.nodes
        self.connect_nodes(1, 0)

        self.log("no wallet yet: -18; createwallet; several wallets need a name (-19)")
        assert_raises_rpc_error(-18, "No wallet is loaded", n0.rpc.getbalance)
        assert_equal(n0.rpc.createwallet("w1")["name"], "w1")
        assert_raises_rpc_error(-36, "", n0.rpc.createwallet, "w1")
        assert_raises_rpc_error(-4, "", n0.rpc.createwallet, "legacy", False, False, "", False, False)
        n0.rpc.createwallet("other")
        assert_raises_rpc_error(-19, "Multiple wallets are loaded", n0.rpc.getbalance)
        w1 = n0.proxy(path="/wallet/w1")
        other = n0.proxy(path="/wallet/other")
        assert_raises_rpc_error(-18, "Requested wallet does not exist or is not loaded",
                                n0.proxy(path="/wallet/nosuch").getbalance)
        assert_equal(sorted(n0.rpc.listwallets()), ["other", "w1"])
        n0.rpc.unloadwallet("other")
        assert_equal(n0.rpc.listwallets(), ["w1"])
        assert_equal(sorted(w["name"] for w in n0.rpc.listwalletdir()["wallets"]), ["other", "w1"])

        self.log("addresses: bech32 by default, legacy and bech32m on request, with paths")
        a84 = w1.getnewaddress()
        assert a84.startswith("riop1q"), a84
        info = w1.getaddressinfo(a84)
        assert_equal(info["ismine"], True)
        assert_equal(info["hdkeypath"], "m/84h/1h/0h/0/0")
        assert_equal(w1.getaddressinfo(w1.getnewaddress("", "bech32m"))["hdkeypath"],
                     "m/86h/1h/0h/0/0")
        assert_equal(w1.getaddressinfo(w1.getnewaddress("", "legacy"))["hdkeypath"],
                     "m/44h/1h/0h/0/0")
        assert_raises_rpc_error(-5, "Unknown address type 'foo'", w1.getnewaddress, "", "foo")
        change = w1.getrawchangeaddress()
        assert_equal(w1.getaddressinfo(change)["ischange"], True)
        mnemonic = w1.getmnemonic()["mnemonic"]
        assert_equal(len(mnemonic.split()), 24)

        self.log("mined coins: immature for 100 blocks, then trusted")
        n0.rpc.generatetoaddress(1, a84)
        bal = w1.getbalances()["mine"]
        assert_equal(amount_sat(bal["immature"]), 10 * 10**8)
        assert_equal(amount_sat(bal["trusted"]), 0)
        n0.rpc.generatetoaddress(100, p2wpkh_address(pubkey(KEY)))
        bal = w1.getbalances()["mine"]
        assert_equal(amount_sat(bal["trusted"]), 10 * 10**8)
        assert_equal(amount_sat(bal["immature"]), 0)
        assert_equal(amount_sat(w1.getbalance()), 10 * 10**8)
        coins = w1.listunspent()
        assert_equal(len(coins), 1)
        assert_equal(coins[0]["address"], a84)
        assert_equal(coins[0]["confirmations"], 101)

        self.log("a payment from another node: pending in the mempool, then confirmed")
        self.sync_blocks()
        pay_to = w1.getnewaddress("rent")
        rpc = n1.rpc
        cb = rpc.getblock(rpc.getblockhash(2), 2)["tx"][0]["txid"]
        value = amount_sat(rpc.gettxout(cb, 0)["value"])
        spk = bytes.fromhex(w1.getaddressinfo(pay_to)["scriptPubKey"])
        tx = spend_p2wpkh(cb, 0, value, KEY, [(123456789, spk), (value - 123456789 - 20000,
                                                                 p2wpkh_script(pubkey(KEY)))])
        txid = rpc.sendrawtransaction(tx.serialize().hex() if hasattr(tx, "serialize") else tx.hex())
        wait_until(lambda: amount_sat(w1.getbalances()["mine"]["untrusted_pending"]) == 123456789,
                   what="pending payment")
        assert_equal(w1.gettransaction(txid)["confirmations"], 0)
        blockhash = n1.rpc.generatetoaddress(1, p2wpkh_address(pubkey(KEY)))[0]
        self.sync_blocks()
        wait_until(lambda: amount_sat(w1.getbalance()) == 10 * 10**8 + 123456789,
                   what="confirmed payment")
        t = w1.gettransaction(txid)
        assert_equal(t["confirmations"], 1)
        assert_equal(t["blockhash"], blockhash)
        assert_equal(amount_sat(t["amount"]), 123456789)
        assert_equal(w1.getaddressesbylabel("rent"), {pay_to: {"purpose": "receive"}})

        self.log("a reorg takes the payment back to unconfirmed")
        n0.rpc.invalidateblock(blockhash)
        wait_until(lambda: w1.gettransaction(txid)["confirmations"] == 0, what="unconfirmed")
        assert_equal(amount_sat(w1.getbalance()), 10 * 10**8)
        n0.rpc.reconsiderblock(blockhash)
        wait_until(lambda: w1.gettransaction(txid)["confirmations"] == 1, what="confirmed again")

        self.log("kill -9, restart with -wallet=w1: same addresses and balance")
        expected = amount_sat(w1.getbalance())
        n0.process.send_signal(signal.SIGKILL)
        n0.process.wait()
        n0.process = None
        n0.start(["-wallet=w1"])
        w1 = n0.proxy(path="/wallet/w1")
        assert_equal(n0.rpc.listwallets(), ["w1"])
        # Blocks not yet flushed when the node was killed come back from the peer (as in
        # Core); the wallet's own records were all committed.
        self.connect_nodes(1, 0)
        self.sync_blocks()
        wait_until(lambda: amount_sat(w1.getbalance()) == expected, what="balance after restart")
        assert_equal(w1.getaddressinfo(a84)["ismine"], True)
        assert w1.getnewaddress() != a84

        self.log("restore from the mnemonic on the other node finds the same coins")
        n1.rpc.createwallet("restored", False, False, "", False, True, None, False, mnemonic)
        r = n1.proxy(path="/wallet/restored")
        assert_equal(amount_sat(r.getbalance()), expected)
        assert_equal(r.getaddressinfo(a84)["ismine"], True)

        self.log("encryption: locked wallets keep their secrets; wrong passphrase is -14")
        assert_raises_rpc_error(-15, "", w1.walletlock)
        w1.encryptwallet("correct horse")
        assert_raises_rpc_error(-13, "", w1.listdescriptors, True)
        assert_raises_rpc_error(-13, "", w1.getmnemonic)
        assert_raises_rpc_error(-14, "", w1.walletpassphrase, "wrong", 60)
        w1.walletpassphrase("correct horse", 60)
        assert "unlocked_until" in w1.getwalletinfo()
        private = w1.listdescriptors(True)["descriptors"]
        assert_equal(len(private), 6)
        public = {d["desc"].split("#")[0] for d in w1.listdescriptors()["descriptors"]}
        # Private forms carry the extended private key instead of the public one.
        assert not ({d["desc"].split("#")[0] for d in private} & public)
        assert_equal(w1.getmnemonic()["mnemonic"], mnemonic)
        w1.walletlock()
        assert_raises_rpc_error(-13, "", w1.getmnemonic)
        assert_equal(len(w1.listdescriptors()["descriptors"]), 6)

        self.log("-disablewallet: no wallet methods")
        n1.stop()
        n1.start(["-disablewallet"])
        assert_raises_rpc_error(-32601, "", n1.rpc.getbalance)
        assert os.path.exists(os.path.join(n1.chaindir, "wallets", "restored", "wallet.dat"))


if __name__ == "__main__":
    run(WalletBasicTest)
