#!/usr/bin/env python3
"""-loadblock imports Bitcoin's first 255 blocks, survives restarts, kill -9 during the
import and -reindex."""
import os
import time

from test_framework.test_framework import IopTestFramework, SkipTest, run
from test_framework.util import (BTC_TIP_255, assert_equal, assert_in, btc_blocks_file,
                                 wait_until)


class LoadBlockTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.chain = "btc-main"
        self.blocks = btc_blocks_file()
        self.extra_args = [["-loadblock=" + self.blocks]]

    def wait_for_tip(self, node, timeout=60):
        wait_until(lambda: node.rpc.getblockcount() == 255, timeout=timeout,
                   what="height 255")
        assert_equal(node.rpc.getbestblockhash(), BTC_TIP_255)

    def check_consistent(self, node):
        assert_equal(node.rpc.verifychain(4, 0), True)
        tips = node.rpc.getchaintips()
        assert_equal(tips, [{"height": 255, "hash": BTC_TIP_255, "branchlen": 0,
                             "status": "active"}])

    def main(self):
        if not os.path.exists(btc_blocks_file()):
            print("skipped: %s not found (set IOP_VECTORS_DIR)" % btc_blocks_file())
            return 77
        return super().main()

    def run_test(self):
        node = self.nodes[0]
        self.log("import the 255 blocks")
        self.wait_for_tip(node)
        info = node.rpc.getblockchaininfo()
        assert_equal(info["chain"], "btc-main")
        assert_equal(info["blocks"], 255)
        assert_equal(info["headers"], 255)
        self.check_consistent(node)
        wait_until(lambda: "(done)" in node.debug_log(), what="the import's final log line")
        log = node.debug_log()
        assert_in("Imported 255 blocks from %s, height 255" % self.blocks, log)

        self.log("restart: the chain is still there")
        node.stop()
        node.start([])
        assert_equal(node.rpc.getblockcount(), 255)
        assert_equal(node.rpc.getbestblockhash(), BTC_TIP_255)
        self.check_consistent(node)

        self.log("the same file again changes nothing")
        node.stop()
        node.start(["-loadblock=" + self.blocks])
        wait_until(lambda: node.debug_log().count("(done)") >= 2, what="second import")
        self.wait_for_tip(node)

        self.log("-reindex rebuilds the same tip")
        node.stop()
        node.start(["-reindex"])
        self.wait_for_tip(node)
        self.check_consistent(node)
        assert not os.path.exists(os.path.join(node.chaindir, "blocks", "reindex"))
        node.stop()
        node.start([])
        self.wait_for_tip(node)

        self.log("kill -9 during an import, then restart with the same -loadblock")
        fresh = self.add_node(["-loadblock=" + self.blocks])
        for delay in (0.0, 0.02, 0.1):
            fresh.start(wait=False)
            if delay:
                time.sleep(delay)
            else:
                wait_until(lambda: "Importing blocks file" in fresh.debug_log(), timeout=30,
                           interval=0.001, what="import start")
            fresh.kill()
            fresh.wait_for_exit()
        fresh.start()
        self.wait_for_tip(fresh)
        self.check_consistent(fresh)
        fresh.stop()
        fresh.start([])
        assert_equal(fresh.rpc.getbestblockhash(), BTC_TIP_255)

        self.log("kill -9 during a reindex, then restart")
        fresh.stop()
        fresh.start(["-reindex"], wait=False)
        wait_until(lambda: "Reindexing block files" in fresh.debug_log(), timeout=30,
                   interval=0.001, what="reindex start")
        fresh.kill()
        fresh.wait_for_exit()
        fresh.start([])
        self.wait_for_tip(fresh)
        self.check_consistent(fresh)
        log = fresh.debug_log()
        assert_in("init message: Loading block index...", log)
        assert_in("init message: Verifying blocks...", log)

        self.log("start-up errors of the chain options")
        fresh.stop()
        for args, msg in [
                (["-dbcache=abc"], "Invalid value for -dbcache: 'abc' (expected an integer)"),
                (["-par=x"], "Invalid value for -par: 'x' (expected an integer)"),
                (["-testactivationheight=segwit@10"],
                 "-testactivationheight is only allowed on regtest profiles"),
                (["-maxmempool=1"], "-maxmempool must be at least 5 MB")]:
            r = fresh.run_iopd(args)
            assert_equal(r.returncode, 1)
            assert_in(msg, r.stderr)


if __name__ == "__main__":
    run(LoadBlockTest)
