#!/usr/bin/env python3
"""iop-cli: output formats, error printing and exit codes, -named, -stdin,
-stdinrpcpass, -rpcwait, -getinfo, credentials from the cookie and the conf file."""
import json
import os
import subprocess
import time

from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in


class CliTest(IopTestFramework):
    def run_test(self):
        node = self.nodes[0]

        self.log("results: strings unquoted, JSON indented, exit 0")
        r = node.cli("help", "stop")
        assert_equal(r.returncode, 0)
        assert r.stdout.startswith("stop\n\nRequest a graceful shutdown of iopd.")
        r = node.cli("logging")
        assert_equal(r.returncode, 0)
        assert r.stdout.startswith('{\n  "addrman": false,')
        assert_equal(json.loads(r.stdout), node.rpc.logging())
        r = node.cli("uptime")
        assert int(r.stdout) >= 0

        self.log("positional parameters converted by the table")
        r = node.cli("logging", '["http"]', '[]')
        assert_equal(r.returncode, 0)
        assert_equal(json.loads(r.stdout)["http"], True)

        self.log("-named")
        r = node.cli("-named", "logging", 'exclude=["http"]')
        assert_equal(json.loads(r.stdout)["http"], False)
        r = node.cli("-named", "help", "command=uptime")
        assert r.stdout.startswith("uptime\n")
        r = node.cli("-named", "help", "uptime")
        assert_equal(r.returncode, 1)
        assert_in("No '=' in named argument 'uptime'", r.stderr)

        self.log("errors: 'error code: N / error message:' and exit code abs(N) mod 256")
        r = node.cli("nosuchmethod")
        assert_equal(r.stderr, "error code: -32601\nerror message:\nMethod not found\n")
        assert_equal(r.returncode, 32601 % 256)
        r = node.cli("-named", "help", "bogus=1")
        assert_equal(r.stderr, "error code: -8\nerror message:\nUnknown named parameter bogus\n")
        assert_equal(r.returncode, 8)
        r = node.cli("uptime", "extra")
        assert_equal(r.returncode, 1)
        assert r.stderr.startswith("error code: -1\nerror message:\nuptime\n")
        r = node.cli("logging", "notjson")
        assert_equal(r.returncode, 1)
        assert_in("Error parsing JSON: notjson", r.stderr)
        r = node.cli()
        assert_equal(r.returncode, 1)
        assert_in("too few parameters", r.stderr)
        r = node.cli("-nosuchoption", "uptime")
        assert_equal(r.returncode, 1)
        assert_in("Invalid parameter -nosuchoption", r.stderr)

        self.log("-stdin and -stdinrpcpass")
        r = node.cli("-stdin", "help", input="uptime\n")
        assert r.stdout.startswith("uptime\n")
        r = node.cli("-stdin", "-named", "help", input="command=stop\n")
        assert r.stdout.startswith("stop\n")

        self.log("-getinfo works with the methods that exist")
        r = node.cli("-getinfo")
        assert_equal(r.returncode, 0)
        assert r.stdout.strip()
        r = node.cli("-getinfo", "1")
        assert_equal(r.returncode, 0)
        assert isinstance(json.loads(r.stdout), dict)

        self.log("-rpcwallet routes to /wallet/<name>")
        r = node.cli("-rpcwallet=my wallet", "uptime")
        assert_equal(r.returncode, 0)

        self.log("-rpcconnect with a port, IPv4 and IPv6")
        for target in ("127.0.0.1:%d" % node.rpc_port, "[::1]:%d" % node.rpc_port):
            r = subprocess.run([node.iopcli, "-datadir=" + node.datadir, "-regtest",
                                "-rpcconnect=" + target, "uptime"], capture_output=True, text=True)
            assert_equal(r.returncode, 0)

        self.log("wrong password: exit 1 with Core's message")
        r = node.cli("-rpcuser=x", "-rpcpassword=y", "uptime")
        assert_equal(r.returncode, 1)
        assert_in("error: Authorization failed: Incorrect rpcuser or rpcpassword", r.stderr)

        self.log("credentials from the conf file and -stdinrpcpass")
        node.stop()
        with open(os.path.join(node.datadir, "iop.conf"), "w") as f:
            f.write("rpcuser=u\n[regtest]\nrpcpassword=p\n")
        node.rpc_user, node.rpc_password = "u", "p"
        node.start()
        r = node.cli("uptime")
        assert_equal(r.returncode, 0)
        r = node.cli("-stdinrpcpass", "-rpcpassword=wrong", "uptime", input="p\n")
        assert_equal(r.returncode, 0)
        r = node.cli("-stdinrpcpass", "-stdin", "help", input="p\nstop\n")
        assert r.stdout.startswith("stop\n")
        node.stop()
        os.remove(os.path.join(node.datadir, "iop.conf"))
        node.rpc_user = node.rpc_password = None

        self.log("no server: connection error, exit 1")
        r = node.cli("uptime")
        assert_equal(r.returncode, 1)
        assert_in("Could not locate RPC credentials", r.stderr)
        r = node.cli("-rpcuser=a", "-rpcpassword=b", "uptime")
        assert_equal(r.returncode, 1)
        assert_in("error: Could not connect to the server 127.0.0.1:%d" % node.rpc_port, r.stderr)

        self.log("-rpcwait waits for the server; -rpcwaittimeout gives up")
        start = time.time()
        r = node.cli("-rpcwait", "-rpcwaittimeout=1", "uptime")
        assert_equal(r.returncode, 1)
        assert time.time() - start >= 0.9
        waiter = subprocess.Popen([node.iopcli, "-datadir=" + node.datadir, "-regtest",
                                   "-rpcport=%d" % node.rpc_port, "-rpcwait", "-rpcwaittimeout=30",
                                   "uptime"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        assert waiter.poll() is None
        node.start()
        out, err = waiter.communicate(timeout=30)
        assert_equal(waiter.returncode, 0, )
        assert int(out) >= 0

        self.log("stop through the CLI")
        r = node.cli("stop")
        assert_equal(r.stdout, "iopd stopping\n")
        assert_equal(node.wait_for_exit(), 0)


if __name__ == "__main__":
    run(CliTest)
