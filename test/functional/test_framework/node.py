"""One iopd process on regtest, in its own datadir, on free loopback ports."""
import os
import re
import signal
import subprocess
import time

from .authproxy import JSONRPCException, RPCProxy
from .util import free_port, wait_until


_HELP_CACHE = {}


def daemon_knows(iopd, option):
    """Whether `iopd -help` lists option (e.g. "-listen"); cached per binary."""
    key = (iopd, os.path.getmtime(iopd) if os.path.exists(iopd) else 0)
    if key not in _HELP_CACHE:
        try:
            out = subprocess.run([iopd, "-help"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        _HELP_CACHE[key] = out
    return re.search(r"^\s+%s(\b|=)" % re.escape(option), _HELP_CACHE[key], re.M) is not None


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
        self.extra_args = list(extra_args or [])
        self.process = None
        self.stdout = self.stderr = None
        self._rpc = None
        self.rpc_user = self.rpc_password = None
        # Every node listens on its own free loopback port (the default port would clash
        # between nodes and parallel tests).
        self.p2p_port = free_port()
        self.p2ps = []         # Python peers attached with add_p2p_connection()
        self.p2ps_seen = []    # every Python peer ever attached (for the error check)

    @property
    def chaindir(self):
        return os.path.join(self.datadir, self.chain)

    def base_args(self):
        args = ["-datadir=" + self.datadir, "-chain=" + self.chain,
                "-rpcport=%d" % self.rpc_port, "-printtoconsole=0"]
        if daemon_knows(self.iopd, "-bind"):
            # -connect=0: no automatic outbound connections, so addresses a test gossips
            # (8.x.x.x, ...) are never dialled; tests connect nodes with addnode.
            args += ["-port=%d" % self.p2p_port, "-bind=127.0.0.1:%d" % self.p2p_port,
                     "-connect=0"]
        return args

    # ---- P2P ----

    def enable_p2p(self):
        """Kept for tests that call it: every node has its own P2P port already."""

    @property
    def p2p_addr(self):
        return "127.0.0.1:%d" % self.p2p_port

    def add_p2p_connection(self, p2p_conn=None, wait_for_verack=True, timeout=30, **kwargs):
        """Connects a Python peer (default a new P2PInterface(**kwargs)) to this node's
        P2P port and, unless told not to, waits for the handshake."""
        from .p2p import P2PInterface
        conn = p2p_conn if p2p_conn is not None else P2PInterface(**kwargs)
        conn.peer_connect("127.0.0.1", self.p2p_port)
        self.p2ps.append(conn)
        self.p2ps_seen.append(conn)
        if wait_for_verack:
            conn.wait_for_verack(timeout)
            conn.sync_with_ping(timeout)
        return conn

    def add_outbound_p2p_connection(self, p2p_conn=None, wait_for_verack=True, timeout=30,
                                    **kwargs):
        """Makes the node dial a listening Python peer (P2PInbound) with addnode onetry."""
        from .p2p import P2PInbound
        conn = p2p_conn if p2p_conn is not None else P2PInbound(**kwargs)
        port = conn.listen()
        self.p2ps.append(conn)
        self.p2ps_seen.append(conn)
        self.rpc.addnode("127.0.0.1:%d" % port, "onetry")
        if wait_for_verack:
            conn.wait_for_connect(timeout)
            conn.wait_for_verack(timeout)
            conn.sync_with_ping(timeout)
        return conn

    def disconnect_p2ps(self, timeout=10):
        """Closes every Python peer of this node."""
        for conn in self.p2ps:
            if hasattr(conn, "stop_listening"):
                conn.stop_listening()
            conn.peer_disconnect()
        for conn in self.p2ps:
            conn.wait_closed(timeout)
        self.p2ps = []

    def p2p_errors(self):
        """What the Python peers could not make sense of in the node's traffic (bad
        frames, undecodable payloads) and exceptions in their handlers."""
        errs = []
        for conn in self.p2ps_seen:
            errs += getattr(conn, "protocol_errors", []) + getattr(conn, "callback_errors", [])
        return errs

    def num_peers(self):
        return len(self.rpc.getpeerinfo())

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
        if self.p2ps:
            self.disconnect_p2ps()
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
