"""Base class for functional tests.

A test subclasses IopTestFramework, sets num_nodes / extra_args in set_test_params and
writes run_test. main() parses --builddir, --tmpdir and --nocleanup, starts the nodes,
runs the test and stops them. On failure the temporary directory (datadirs, debug.log)
is kept and its path printed. Exit codes: 0 passed, 1 failed, 77 skipped.
"""
import argparse
import os
import shutil
import sys
import tempfile
import traceback

from .authproxy import JSONRPCException
from .node import TestNode, daemon_knows
from .util import wait_until

SKIP_EXIT = 77


class SkipTest(Exception):
    pass


class IopTestFramework:
    def __init__(self):
        self.num_nodes = 1
        self.extra_args = None
        self.chain = "regtest"
        self.nodes = []
        self.p2p = False  # P2P tests set this: nodes get -port/-bind on a free loopback port
        self.set_test_params()

    def set_test_params(self):
        pass

    def run_test(self):
        raise NotImplementedError

    def add_node(self, extra_args=None):
        node = TestNode(len(self.nodes), self.tmpdir, self.builddir, extra_args, chain=self.chain)
        if self.p2p:
            node.enable_p2p()
        self.nodes.append(node)
        return node

    # ---- P2P helpers (need self.p2p = True) ----

    def skip_if_no_p2p(self):
        """SkipTest unless the daemon has the P2P layer: it must know -bind (checked
        before any node starts) and, once started, answer getnetworkinfo."""
        if not self.nodes:
            return
        if not self.nodes[0].process:
            if not daemon_knows(self.nodes[0].iopd, "-bind"):
                raise SkipTest("P2P layer not built yet")
            return
        try:
            self.nodes[0].rpc.getnetworkinfo()
        except JSONRPCException as e:
            if e.error.get("code") == -32601:
                raise SkipTest("P2P layer not built yet")
            raise

    @staticmethod
    def _outbound_to(frm, to):
        return [p for p in frm.rpc.getpeerinfo()
                if not p.get("inbound") and p.get("addr") == to.p2p_addr]

    def connect_nodes(self, a, b, timeout=30):
        """Node a dials node b (addnode onetry); waits until both finished the handshake
        on that connection. a and b are indexes into self.nodes."""
        na, nb = self.nodes[a], self.nodes[b]
        before = {p["id"] for p in nb.rpc.getpeerinfo()}
        na.rpc.addnode(nb.p2p_addr, "onetry")

        def a_ready():
            return any(p.get("version", 0) > 0 for p in self._outbound_to(na, nb))

        def b_ready():
            return any(p.get("inbound") and p["id"] not in before and p.get("version", 0) > 0
                       for p in nb.rpc.getpeerinfo())
        wait_until(a_ready, timeout, what="node%d -> node%d handshake" % (a, b))
        wait_until(b_ready, timeout, what="node%d <- node%d handshake" % (b, a))

    def disconnect_nodes(self, a, b, timeout=30):
        """Drops every connection between nodes a and b (either direction) and waits
        until neither side lists it."""
        na, nb = self.nodes[a], self.nodes[b]
        for frm, to in ((na, nb), (nb, na)):
            peers = self._outbound_to(frm, to)
            binds = {p.get("addrbind") for p in peers if p.get("addrbind")}
            for p in peers:
                try:
                    frm.rpc.disconnectnode("", p["id"])
                except JSONRPCException as e:
                    if e.error.get("code") != -29:  # already gone
                        raise
            wait_until(lambda: not self._outbound_to(frm, to), timeout,
                       what="disconnect node%d -> node%d" % (frm.index, to.index))
            if binds:
                wait_until(lambda: not any(p.get("addr") in binds for p in to.rpc.getpeerinfo()),
                           timeout, what="node%d sees the disconnect" % to.index)
        if not self.nodes_connected(a, b):
            return
        raise AssertionError("node%d and node%d still connected" % (a, b))

    def nodes_connected(self, a, b):
        na, nb = self.nodes[a], self.nodes[b]
        return bool(self._outbound_to(na, nb) or self._outbound_to(nb, na))

    def sync_blocks(self, nodes=None, timeout=60):
        """Waits until nodes (default all) have the same best block."""
        nodes = nodes or self.nodes
        last = [None]

        def same():
            last[0] = [n.rpc.getbestblockhash() for n in nodes]
            return len(set(last[0])) == 1
        try:
            wait_until(same, timeout, interval=0.1, what="sync_blocks")
        except AssertionError:
            raise AssertionError("sync_blocks timed out: %r" % (
                [(n.index, h, n.rpc.getblockcount()) for n, h in zip(nodes, last[0])],))

    def sync_mempools(self, nodes=None, timeout=60):
        """Waits until nodes (default all) have the same mempool contents."""
        nodes = nodes or self.nodes
        last = [None]

        def same():
            last[0] = [sorted(n.rpc.getrawmempool()) for n in nodes]
            return all(m == last[0][0] for m in last[0])
        try:
            wait_until(same, timeout, interval=0.1, what="sync_mempools")
        except AssertionError:
            raise AssertionError("sync_mempools timed out: %r" % (last[0],))

    def sync_all(self, nodes=None, timeout=60):
        self.sync_blocks(nodes, timeout)
        self.sync_mempools(nodes, timeout)

    def log(self, msg):
        print("  %s: %s" % (type(self).__name__, msg), flush=True)

    def main(self):
        parser = argparse.ArgumentParser()
        default_build = os.environ.get("IOP_BUILDDIR") or os.path.join(
            os.path.dirname(__file__), "..", "..", "..", "_build")
        parser.add_argument("--builddir", default=default_build)
        parser.add_argument("--tmpdir")
        parser.add_argument("--nocleanup", action="store_true")
        opts = parser.parse_args()
        self.builddir = os.path.abspath(opts.builddir)
        if not os.path.exists(os.path.join(self.builddir, "src", "iopd")):
            print("iopd not found under %s/src" % self.builddir, file=sys.stderr)
            return 1
        self.tmpdir = opts.tmpdir or tempfile.mkdtemp(prefix="iop_func_")
        os.makedirs(self.tmpdir, exist_ok=True)
        ok = False
        skipped = False
        try:
            for i in range(self.num_nodes):
                args = self.extra_args[i] if self.extra_args else None
                self.add_node(args)
            if self.p2p:
                self.skip_if_no_p2p()  # before start: the daemon must know -port/-bind
            for n in self.nodes:
                n.start()
            if self.p2p:
                self.skip_if_no_p2p()
            self.run_test()
            for n in self.nodes:
                errs = n.p2p_errors()
                if errs:
                    raise AssertionError("node%d sent what its Python peers could not parse: %r"
                                         % (n.index, errs[:5]))
            ok = True
        except SkipTest as e:
            print("skipped: %s" % e)
            skipped = True
        except Exception:
            traceback.print_exc()
        finally:
            for n in self.nodes:
                try:
                    n.stop()
                except Exception:
                    traceback.print_exc()
                    n.kill()
                    ok = False
        if ok or skipped:
            if not opts.nocleanup:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
            return SKIP_EXIT if skipped else 0
        print("FAILED; logs kept in %s" % self.tmpdir)
        for n in self.nodes:
            log = n.debug_log()
            if log:
                print("--- node%d debug.log (last 40 lines) ---" % n.index)
                print("\n".join(log.splitlines()[-40:]))
        return 1


def run(cls):
    sys.exit(cls().main())
