#!/usr/bin/env python3
"""The daemon's mempool follows the chain: transactions leave it with their block and
come back when the block is disconnected; a 20-block reorganization and back; the
mempool survives a restart (mempool.dat) unless -persistmempool=0; kill -9 during a
reorganization leaves a consistent chain. Needs the mining methods (generatetoaddress)."""
import threading
import time

from test_framework.test_framework import IopTestFramework, SkipTest, run
from test_framework.util import assert_equal, assert_in, wait_until

try:
    from test_framework.iop_tx import amount_sat, p2wpkh_address, p2wpkh_script, pubkey, spend_p2wpkh
except ImportError:  # the mining work's helpers are not there yet
    spend_p2wpkh = None

KEY = 7


class ReorgTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc
        if spend_p2wpkh is None or "generatetoaddress" not in rpc.help():
            raise SkipTest("needs generatetoaddress and test_framework/iop_tx.py")
        pub = pubkey(KEY)
        addr, spk = p2wpkh_address(pub), p2wpkh_script(pub)
        other = p2wpkh_address(pubkey(KEY + 1))
        rpc.generatetoaddress(121, addr)  # block 1's coinbase stays mature through the reorg

        def coinbase(height):
            txid = rpc.getblock(rpc.getblockhash(height), 2)["tx"][0]["txid"]
            return txid, amount_sat(rpc.gettxout(txid, 0)["value"])

        self.log("a mined transaction leaves the mempool and comes back on disconnect")
        cb, value = coinbase(1)
        tx = spend_p2wpkh(cb, 0, value, KEY, [(value - 10000, spk)])
        txid = rpc.sendrawtransaction(tx.hex())
        assert_equal(rpc.getrawmempool(), [txid])
        assert_equal(rpc.gettxout(cb, 0), None)  # spent in the mempool
        assert rpc.gettxout(cb, 0, False) is not None
        assert_equal(rpc.gettxout(txid, 0)["confirmations"], 0)
        tip = rpc.generatetoaddress(1, addr)[0]
        assert_in(txid, rpc.getblock(tip)["tx"])
        assert_equal(rpc.getrawmempool(), [])
        assert_equal(rpc.gettxout(txid, 0)["confirmations"], 1)
        rpc.invalidateblock(tip)
        assert_equal(rpc.getrawmempool(), [txid])
        assert_equal(rpc.gettxout(txid, 0)["confirmations"], 0)
        rpc.reconsiderblock(tip)
        assert_equal(rpc.getbestblockhash(), tip)
        assert_equal(rpc.getrawmempool(), [])

        self.log("a 20-block reorganization and back")
        old_tip = tip
        height = rpc.getblockcount()  # 122
        fork = rpc.getblockhash(height - 19)
        rpc.invalidateblock(fork)
        assert_equal(rpc.getblockcount(), height - 20)
        assert_equal(rpc.getrawmempool(), [txid])
        new = rpc.generatetoaddress(21, other)
        assert_equal(rpc.getblockcount(), height + 1)
        assert_in(txid, rpc.getblock(new[0])["tx"])  # mined again on the new branch
        assert_equal(rpc.getrawmempool(), [])
        rpc.reconsiderblock(fork)  # the old branch has less work: the tip stays
        assert_equal(rpc.getbestblockhash(), new[-1])
        tips = rpc.getchaintips()
        assert_equal(tips[0], {"height": height + 1, "hash": new[-1], "branchlen": 0,
                               "status": "active"})
        assert_equal(tips[1], {"height": height, "hash": old_tip, "branchlen": 20,
                               "status": "valid-fork"})
        rpc.invalidateblock(new[0])  # back to the old branch, 20 blocks
        assert_equal(rpc.getbestblockhash(), old_tip)
        assert_equal(rpc.getrawmempool(), [])
        rpc.reconsiderblock(new[0])
        assert_equal(rpc.getbestblockhash(), new[-1])

        self.log("mempool.dat keeps the mempool across a restart")
        cb2, value2 = coinbase(2)
        tx2 = spend_p2wpkh(cb2, 0, value2, KEY, [(value2 - 20000, spk)])
        txid2 = rpc.sendrawtransaction(tx2.hex())
        node.stop()
        node.start()
        wait_until(lambda: "Imported mempool transactions" in node.debug_log(), what="mempool load")
        assert_equal(node.rpc.getrawmempool(), [txid2])
        node.stop()
        node.start(["-persistmempool=0"])
        assert_equal(node.rpc.getrawmempool(), [])
        node.stop()
        node.start()  # -persistmempool=0 neither loaded nor wrote mempool.dat
        wait_until(lambda: node.debug_log().count("Imported mempool transactions") >= 3,
                   what="mempool load")
        assert_equal(node.rpc.getrawmempool(), [txid2])

        self.log("kill -9 during a reorganization")
        best = node.rpc.getbestblockhash()
        first = node.rpc.getblockhash(1)
        t = threading.Thread(target=lambda: self.swallow(node.proxy().invalidateblock, first))
        t.start()
        time.sleep(0.05)
        node.kill()
        node.wait_for_exit()
        t.join(10)
        node.start()
        rpc = node.rpc
        assert_equal(rpc.verifychain(4, 0), True)
        rpc.reconsiderblock(first)
        assert_equal(rpc.getbestblockhash(), best)
        assert_equal(rpc.verifychain(4, 0), True)

    @staticmethod
    def swallow(fn, *args):
        try:
            fn(*args)
        except Exception:
            pass


if __name__ == "__main__":
    run(ReorgTest)
