#!/usr/bin/env python3
"""iop.conf: [section] and top-level settings, network-only options, precedence of the
command line, -conf, errors with file and line."""
import os

from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in, free_port


class ConfigTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def write_conf(self, text, name="iop.conf"):
        with open(os.path.join(self.nodes[0].datadir, name), "w") as f:
            f.write(text)

    def run_test(self):
        node = self.nodes[0]
        node.stop()
        top_port, sec_port = free_port(), free_port()

        self.log("[regtest] rpcport applies; a top-level rpcport is network-only and ignored")
        self.write_conf("rpcport=%d\ndebug=http\n# a comment\n\n[regtest]\nrpcport=%d\ndebug=rpc\n"
                        "[main]\ndebug=net\n" % (top_port, sec_port))
        node.rpc_port = sec_port
        # base_args passes -rpcport; drop it so the conf decides.
        node.base_args = lambda: ["-datadir=" + node.datadir, "-regtest", "-printtoconsole=0", "-listen=0", "-listen=0"]
        node.start([])
        cats = node.rpc.logging()
        assert_equal(cats["rpc"], True)     # [regtest]
        assert_equal(cats["http"], True)    # top level, not network-only
        assert_equal(cats["net"], False)    # [main] does not apply
        node.stop()

        self.log("the command line beats the conf file")
        cmd_port = free_port()
        node.rpc_port = cmd_port
        node.start(["-rpcport=%d" % cmd_port, "-nodebug"])
        assert_equal(node.rpc.logging()["rpc"], False)
        node.stop()

        self.log("section.option=value at the top of the file")
        dotted = free_port()
        self.write_conf("regtest.rpcport=%d\n" % dotted)
        node.rpc_port = dotted
        node.start([])
        assert node.rpc.uptime() >= 0
        node.stop()

        self.log("-conf names another file; relative to the datadir")
        other = free_port()
        self.write_conf("[regtest]\nrpcport=%d\n" % other, name="other.conf")
        node.rpc_port = other
        node.start(["-conf=other.conf"])
        assert node.rpc.uptime() >= 0
        node.stop()

        self.log("chain chosen by the conf file")
        self.write_conf("regtest=1\n[regtest]\nrpcport=%d\n" % other)
        node.base_args = lambda: ["-datadir=" + node.datadir, "-printtoconsole=0", "-listen=0"]
        node.start([])
        assert node.rpc.uptime() >= 0
        node.stop()

        self.log("errors in the conf file name the file, line and option")
        cases = [
            ("[regtest]\nnosuch=1\n", "Invalid parameter -nosuch in "),
            ("rpcthreads=lots\n", "Invalid value for -rpcthreads: 'lots'"),
            ("justaword\n", "parse error on line 1"),
            ("rpcpassword=a#b\n", "using # in rpcpassword can be ambiguous"),
            ("datadir=/tmp\n", "Option -datadir can only be given on the command line"),
        ]
        for text, msg in cases:
            self.write_conf(text)
            r = node.run_iopd(["-datadir=" + node.datadir, "-regtest"], with_base=False)
            assert_equal(r.returncode, 1)
            assert_in(msg, r.stderr)
        self.write_conf("[regtest]\nnosuch=1\n")
        r = node.run_iopd(["-datadir=" + node.datadir, "-regtest"], with_base=False)
        assert_in("iop.conf:2", r.stderr)
        r = node.run_iopd(["-datadir=" + node.datadir, "-regtest", "-conf=missing.conf"], with_base=False)
        assert_equal(r.returncode, 1)
        assert_in("could not be opened", r.stderr)

        self.log("-rpcpassword from the conf file applies to every chain")
        self.write_conf("rpcuser=confuser\nrpcpassword=confpass\n")
        node.base_args = lambda: ["-datadir=" + node.datadir, "-regtest", "-printtoconsole=0", "-listen=0",
                                  "-rpcport=%d" % node.rpc_port]
        node.rpc_user, node.rpc_password = "confuser", "confpass"
        node.start([])
        assert not os.path.exists(os.path.join(node.chaindir, ".cookie"))
        assert node.rpc.uptime() >= 0


if __name__ == "__main__":
    run(ConfigTest)
