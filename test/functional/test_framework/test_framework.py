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

from .node import TestNode

SKIP_EXIT = 77


class SkipTest(Exception):
    pass


class IopTestFramework:
    def __init__(self):
        self.num_nodes = 1
        self.extra_args = None
        self.chain = "regtest"
        self.nodes = []
        self.set_test_params()

    def set_test_params(self):
        pass

    def run_test(self):
        raise NotImplementedError

    def add_node(self, extra_args=None):
        node = TestNode(len(self.nodes), self.tmpdir, self.builddir, extra_args, chain=self.chain)
        self.nodes.append(node)
        return node

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
            for n in self.nodes:
                n.start()
            self.run_test()
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
