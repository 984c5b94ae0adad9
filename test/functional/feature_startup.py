#!/usr/bin/env python3
"""Start-up and shutdown: stop RPC, SIGTERM, the datadir lock, pid and cookie files,
-daemon, SIGHUP log reopening, and start-up errors for bad options."""
import os
import signal
import subprocess

from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in, wait_until


class StartupTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        chaindir = node.chaindir
        self.log("files in the chain datadir")
        for f in (".cookie", ".lock", "iopd.pid", "debug.log"):
            assert os.path.exists(os.path.join(chaindir, f)), f
        with open(os.path.join(chaindir, "iopd.pid")) as f:
            assert_equal(int(f.read()), node.process.pid)
        assert_equal(oct(os.stat(os.path.join(chaindir, ".cookie")).st_mode & 0o777), "0o600")

        self.log("a second daemon on the same datadir is refused")
        r = node.run_iopd(["-rpcport=%d" % (node.rpc_port + 1)])
        assert r.returncode != 0
        assert_in("Cannot obtain a lock on data directory", r.stderr)
        assert_in("iopd is probably already running", r.stderr)

        self.log("stop RPC ends the process cleanly and removes cookie and pid file")
        assert_equal(node.rpc.stop(), "iopd stopping")
        assert_equal(node.wait_for_exit(), 0)
        assert not os.path.exists(os.path.join(chaindir, ".cookie"))
        assert not os.path.exists(os.path.join(chaindir, "iopd.pid"))
        assert_in("Shutdown: done", node.debug_log())

        self.log("SIGTERM and SIGINT shut down cleanly")
        for sig in (signal.SIGTERM, signal.SIGINT):
            node.start()
            node.process.send_signal(sig)
            assert_equal(node.wait_for_exit(), 0)
            assert not os.path.exists(os.path.join(chaindir, ".cookie"))

        self.log("SIGHUP reopens debug.log")
        node.start(["-debug=rpc"])
        os.rename(os.path.join(chaindir, "debug.log"), os.path.join(chaindir, "debug.log.1"))
        node.process.send_signal(signal.SIGHUP)
        wait_until(lambda: node.rpc.uptime() is not None and os.path.exists(os.path.join(chaindir, "debug.log")),
                   what="new debug.log")
        assert_in("method=uptime", node.debug_log())
        info = node.rpc.getrpcinfo()
        assert_equal(info["logpath"], os.path.join(chaindir, "debug.log"))
        node.stop()

        self.log("-server=0 runs without RPC and stops on SIGTERM")
        loaded = node.debug_log().count("Done loading")
        node.start(["-server=0"], wait=False)
        wait_until(lambda: node.debug_log().count("Done loading") > loaded, what="start-up")
        assert not os.path.exists(os.path.join(chaindir, ".cookie"))
        node.process.send_signal(signal.SIGTERM)
        assert_equal(node.wait_for_exit(), 0)

        self.log("-daemonwait forks, detaches and serves")
        r = node.run_iopd(["-daemonwait"])
        assert_equal(r.returncode, 0)
        with open(os.path.join(chaindir, "iopd.pid")) as f:
            pid = int(f.read())
        proxy = node.proxy()
        assert proxy.uptime() >= 0
        proxy.stop()
        wait_until(lambda: not os.path.exists("/proc/%d" % pid) or
                   open("/proc/%d/stat" % pid).read().split()[2] == "Z", what="daemon exit")

        self.log("start-up errors name the option")
        cases = [
            (["-nosuchoption"], "Invalid parameter -nosuchoption"),
            (["-rpcport=abc"], "Invalid value for -rpcport: 'abc'"),
            (["-rpcport=70000"], "Invalid port specified in -rpcport: '70000'"),
            (["-daemon=maybe"], "Invalid value for -daemon: 'maybe'"),
            (["-debug=nosuchcategory"], "Unsupported logging category -debug=nosuchcategory."),
            (["-rpcauth=bad"], "Invalid -rpcauth argument."),
            (["-rpcallowip=notanip"], "Invalid -rpcallowip subnet specification: notanip"),
            (["positional"], "Command line contains unexpected token 'positional'"),
            (["-chain=nochain"], "Unknown chain nochain"),
            (["-testnet"], "Invalid combination of -regtest, -testnet and -chain"),
        ]
        for args, msg in cases:
            r = node.run_iopd(args)
            assert r.returncode == 1, (args, r.returncode, r.stderr)
            assert_in(msg, r.stderr)
        r = node.run_iopd(["-datadir=" + os.path.join(self.tmpdir, "missing")], with_base=False)
        assert_equal(r.returncode, 1)
        assert_in("does not exist", r.stderr)

        self.log("-version and -help")
        r = node.run_iopd(["-version"], with_base=False)
        assert_equal(r.returncode, 0)
        assert r.stdout.startswith("iopd version v")
        r = node.run_iopd(["-help"], with_base=False)
        assert_equal(r.returncode, 0)
        for opt in ("-daemon", "-datadir=<dir>", "-rpcauth=<userpw>", "-debug=<category>"):
            assert_in(opt, r.stdout)

        node.start()  # the framework stops it


if __name__ == "__main__":
    run(StartupTest)
