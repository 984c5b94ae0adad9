"""One iopd process on regtest, in its own datadir, on free loopback ports."""
import os
import signal
import subprocess
import time

from .authproxy import JSONRPCException, RPCProxy
from .util import free_port, wait_until


class TestNode:
    def __init__(self, index, basedir, builddir, extra_args=None, chain="regtest"):
        self.index = index
        self.datadir = os.path.join(basedir, "node%d" % index)
        os.makedirs(self.datadir, exist_ok=True)
        self.builddir = builddir
        self.iopd = os.path.join(builddir, "src", "iopd")
        self.iopcli = os.path.join(builddir, "src", "iop-cli")
        self.chain = chain
        self.rpc_port = free_port()
        # Every node listens on its own free loopback port (the default port would clash
        # between nodes and parallel tests).
        self.p2p_port = free_port()
        self.extra_args = list(extra_args or [])
        self.process = None
        self.stdout = self.stderr = None
        self._rpc = None
        self.rpc_user = self.rpc_password = None

    @property
    def chaindir(self):
        return os.path.join(self.datadir, self.chain)

    def base_args(self):
        return ["-datadir=" + self.datadir, "-chain=" + self.chain,
                "-rpcport=%d" % self.rpc_port, "-printtoconsole=0",
                "-port=%d" % self.p2p_port, "-bind=127.0.0.1:%d" % self.p2p_port]

    def start(self, extra_args=None, wait=True, stderr=None):
        args = [self.iopd] + self.base_args() + (self.extra_args if extra_args is None else list(extra_args))
        self.stdout = open(os.path.join(self.datadir, "stdout.txt"), "a")
        self.stderr = stderr or open(os.path.join(self.datadir, "stderr.txt"), "a+")
        self.process = subprocess.Popen(args, stdout=self.stdout, stderr=self.stderr)
        self._rpc = None
        if wait:
            self.wait_for_rpc()

    def credentials(self):
        if self.rpc_password is not None:
            return self.rpc_user or "", self.rpc_password
        with open(os.path.join(self.chaindir, ".cookie")) as f:
            user, _, password = f.read().strip().partition(":")
        return user, password

    def proxy(self, user=None, password=None, path="/"):
        u, p = self.credentials() if user is None else (user, password)
        return RPCProxy("127.0.0.1", self.rpc_port, u, p, path=path)

    @property
    def rpc(self):
        if self._rpc is None:
            self._rpc = self.proxy()
        return self._rpc

    def wait_for_rpc(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("iopd exited with code %s during start-up: %s" % (
                    self.process.returncode, self.read_stderr()))
            try:
                self._rpc = None
                self.rpc.uptime()
                return
            except (OSError, ValueError):
                pass
            except JSONRPCException as e:
                if e.error.get("code") != -28:
                    raise
            time.sleep(0.05)
        raise AssertionError("iopd did not answer RPC within %ds" % timeout)

    def read_stderr(self):
        path = os.path.join(self.datadir, "stderr.txt")
        if os.path.exists(path):
            with open(path) as f:
                return f.read()
        return ""

    def stop(self, timeout=30):
        if not self.process or self.process.poll() is not None:
            return
        try:
            self.rpc.stop()
        except Exception:
            self.process.send_signal(signal.SIGTERM)
        rc = self.wait_for_exit(timeout)
        if rc != 0:
            raise AssertionError("iopd exited with code %d (sanitizer report or crash?): %s" % (
                rc, self.read_stderr()[-2000:]))

    def wait_for_exit(self, timeout=30):
        try:
            rc = self.process.wait(timeout=timeout)
        finally:
            if self._rpc:
                self._rpc.close()
            self._rpc = None
            for f in (self.stdout, self.stderr):
                if f:
                    f.close()
            self.stdout = self.stderr = None
        return rc

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def run_iopd(self, args, timeout=30, with_base=True):
        """Runs iopd to completion (for start-up errors); returns CompletedProcess."""
        full = [self.iopd] + (self.base_args() if with_base else []) + list(args)
        return subprocess.run(full, capture_output=True, text=True, timeout=timeout)

    def cli(self, *args, input=None, timeout=30, base=True):
        """Runs iop-cli against this node; returns CompletedProcess (text)."""
        full = [self.iopcli]
        if base:
            full += ["-datadir=" + self.datadir, "-chain=" + self.chain,
                     "-rpcport=%d" % self.rpc_port]
        full += list(args)
        return subprocess.run(full, capture_output=True, text=True, input=input, timeout=timeout)

    def debug_log(self):
        path = os.path.join(self.chaindir, "debug.log")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()
