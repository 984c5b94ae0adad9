"""Python P2P peers for iopd's functional tests: plain sockets, one reader thread each.

P2PConnection frames and unframes messages (magic, 12-byte command, length, checksum)
and can send raw bytes; P2PInterface adds the version handshake, answers pings, keeps
the last message of each type and counts, serves blocks and transactions it was given
(block_store/tx_store) on getdata, and offers wait_for_* helpers. P2PInbound listens on
a loopback port so the node can be told to connect out to it (addnode ... onetry).

All message callbacks run on the connection's reader thread while holding p2p_lock; test
code that reads shared state (last_message, message_count, ...) should go through
wait_until() or hold p2p_lock itself."""
import random
import socket
import struct
import threading
import time
import traceback
from collections import defaultdict

from .messages import (
    MAGIC_REGTEST, MAX_PROTOCOL_MESSAGE_LENGTH, MSG_BLOCK, MSG_TX, MSG_WITNESS_FLAG, MSG_WTX,
    NODE_NETWORK, NODE_WITNESS, CAddress, CBlockHeader, checksum,
    decode_message, frame_message, msg_block, msg_getheaders, msg_headers, msg_notfound,
    msg_ping, msg_pong, msg_sendaddrv2, msg_tx, msg_verack, msg_version, msg_wtxidrelay)

p2p_lock = threading.RLock()

DEFAULT_TIMEOUT = 30


class P2PConnection:
    """One TCP connection speaking the framed protocol. Subclasses override on_open,
    on_close and on_message."""

    def __init__(self, magic=MAGIC_REGTEST):
        self.magic = magic
        self._sock = None
        self._reader = None
        self._send_lock = threading.Lock()
        self._connected = False
        self._closed_event = threading.Event()
        self.dstaddr = None
        self.dstport = None
        self.local_port = None
        self.protocol_errors = []   # frames from the node that we could not understand
        self.callback_errors = []   # exceptions raised by on_* handlers (tracebacks)
        self.bytes_sent = 0
        self.bytes_recv = 0

    # -- connection --

    @property
    def is_connected(self):
        return self._connected

    def peer_connect(self, host, port, timeout=10):
        """Dials host:port and starts the reader; on_open() runs once connected."""
        self.dstaddr, self.dstport = host, port
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.settimeout(None)
        self._attach(sock)

    def _attach(self, sock):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self.local_port = sock.getsockname()[1]
        self._connected = True
        self._closed_event.clear()
        with p2p_lock:
            self.on_open()
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name="p2p-reader-%s" % type(self).__name__)
        self._reader.start()

    def peer_disconnect(self):
        """Closes our end; the reader thread notices and calls on_close()."""
        sock = self._sock
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        if self._sock is None:
            return True
        return self._closed_event.wait(timeout)

    def _read_loop(self):
        buf = bytearray()
        sock = self._sock
        try:
            while True:
                try:
                    data = sock.recv(1 << 16)
                except OSError:
                    break
                if not data:
                    break
                self.bytes_recv += len(data)
                buf += data
                if not self._process_buffer(buf):
                    break
        finally:
            self._connected = False
            try:
                sock.close()
            except OSError:
                pass
            with p2p_lock:
                self.on_close()
            self._closed_event.set()

    def _process_buffer(self, buf):
        """Handles every whole frame at the front of buf (a bytearray), removing it;
        returns False when the stream is beyond repair."""
        while len(buf) >= 24:
            if buf[:4] != self.magic:
                self.protocol_errors.append("bad magic %s" % bytes(buf[:4]).hex())
                return False
            msgtype = bytes(buf[4:16]).split(b"\x00", 1)[0]
            length = struct.unpack("<I", buf[16:20])[0]
            if length > MAX_PROTOCOL_MESSAGE_LENGTH:
                self.protocol_errors.append("oversized %r: %d" % (msgtype, length))
                return False
            if len(buf) < 24 + length:
                break
            payload = bytes(buf[24:24 + length])
            if checksum(payload) != buf[20:24]:
                self.protocol_errors.append("bad checksum on %r" % msgtype)
                return False
            del buf[:24 + length]
            try:
                msg = decode_message(msgtype, payload)
            except (ValueError, struct.error) as e:
                self.protocol_errors.append("cannot decode %r (%d bytes): %s" %
                                            (msgtype, length, e))
                continue
            try:
                with p2p_lock:
                    self.on_message(msg)
            except OSError:
                pass  # a reply to a peer that already hung up
            except Exception:
                self.callback_errors.append(traceback.format_exc())
                traceback.print_exc()
        return True

    # -- sending --

    def build_message(self, msg):
        return frame_message(self.magic, msg.msgtype, msg.serialize())

    def send_message(self, msg):
        self.send_raw(self.build_message(msg))

    def send_raw(self, data):
        """Writes data as is (for broken frames). The reader thread may send a frame of
        its own (a pong) between two calls; hold p2p_lock across calls to keep it out."""
        sock = self._sock
        if sock is None or not self._connected:
            raise IOError("not connected")
        with self._send_lock:
            sock.sendall(data)
        self.bytes_sent += len(data)

    # -- callbacks --

    def on_open(self):
        pass

    def on_close(self):
        pass

    def on_message(self, msg):
        pass


class P2PInterface(P2PConnection):
    """A well-behaved peer: handshake, pong, bookkeeping and serving data it holds.

    support_wtxidrelay / support_addrv2 decide whether we send wtxidrelay / sendaddrv2
    (between version and verack, as BIP339/BIP155 require)."""

    def __init__(self, support_wtxidrelay=True, support_addrv2=True,
                 services=NODE_NETWORK | NODE_WITNESS, magic=MAGIC_REGTEST):
        super().__init__(magic)
        self.support_wtxidrelay = support_wtxidrelay
        self.support_addrv2 = support_addrv2
        self.services = services
        self.start_height = -1
        self.relay = 1
        self.user_agent = None
        self.we_dialled = True          # P2PInbound sets False
        self.version_sent = False
        self.verack_received = False
        self.peer_version = None        # the node's msg_version
        self.message_count = defaultdict(int)
        self.last_message = {}          # msgtype str -> last message
        self.received = []              # msgtype strs in arrival order
        self.block_store = {}           # block hash int -> CBlock served on getdata
        self.tx_store = {}              # txid and wtxid int -> CTransaction
        self.getdata_requests = []      # CInv the node asked us for
        self._ping_nonce = random.getrandbits(32) << 16

    # -- handshake --

    def make_version(self):
        v = msg_version()
        v.services = self.services
        v.start_height = self.start_height
        v.relay = self.relay
        if self.user_agent is not None:
            v.user_agent = self.user_agent
        v.addr_recv = CAddress(self.dstaddr or "127.0.0.1", self.dstport or 0,
                               NODE_NETWORK | NODE_WITNESS)
        v.addr_from = CAddress("0.0.0.0", 0, self.services)
        return v

    def send_version(self):
        self.send_message(self.make_version())
        self.version_sent = True

    def on_open(self):
        if self.we_dialled:
            self.send_version()

    def on_message(self, msg):
        name = msg.msgtype.decode("ascii", "replace")
        self.message_count[name] += 1
        self.last_message[name] = msg
        self.received.append(name)
        handler = getattr(self, "on_" + name, None)
        if handler is not None:
            handler(msg)

    def on_version(self, msg):
        self.peer_version = msg
        if not self.version_sent:
            self.send_version()
        if msg.version >= 70016 and self.support_wtxidrelay:
            self.send_message(msg_wtxidrelay())
        if self.support_addrv2:
            self.send_message(msg_sendaddrv2())
        self.send_message(msg_verack())

    def on_verack(self, msg):
        self.verack_received = True

    def on_ping(self, msg):
        self.send_message(msg_pong(msg.nonce))

    def on_getdata(self, msg):
        self.getdata_requests.extend(msg.inv)
        missing = []
        for inv in msg.inv:
            base = inv.type & ~MSG_WITNESS_FLAG
            wit = bool(inv.type & MSG_WITNESS_FLAG) or inv.type == MSG_WTX
            if base == MSG_BLOCK and inv.hash in self.block_store:
                self.send_message(msg_block(self.block_store[inv.hash], with_witness=wit))
            elif base in (MSG_TX, MSG_WTX) and inv.hash in self.tx_store:
                self.send_message(msg_tx(self.tx_store[inv.hash], with_witness=wit))
            else:
                missing.append(inv)
        if missing:
            self.send_message(msg_notfound(missing))

    # -- waiting --

    def wait_until(self, predicate, timeout=DEFAULT_TIMEOUT, what="condition"):
        """Polls predicate (called with p2p_lock held) until true; AssertionError after
        timeout."""
        deadline = time.time() + timeout
        while True:
            with p2p_lock:
                if predicate():
                    return
            if time.time() > deadline:
                raise AssertionError("p2p: timed out waiting for %s" % what)
            time.sleep(0.02)

    def wait_for_connect(self, timeout=DEFAULT_TIMEOUT):
        self.wait_until(lambda: self.is_connected, timeout, "connection")

    def wait_for_verack(self, timeout=DEFAULT_TIMEOUT):
        self.wait_until(lambda: self.verack_received, timeout, "verack")

    def wait_for_disconnect(self, timeout=DEFAULT_TIMEOUT):
        self.wait_until(lambda: not self.is_connected, timeout, "disconnect")

    def wait_for_message(self, msgtype, timeout=DEFAULT_TIMEOUT, count=1):
        """Waits until at least count messages of msgtype (str) arrived; returns the last."""
        self.wait_until(lambda: self.message_count[msgtype] >= count, timeout, msgtype)
        with p2p_lock:
            return self.last_message[msgtype]

    def wait_for_header(self, blockhash, timeout=DEFAULT_TIMEOUT):
        h = int(blockhash, 16) if isinstance(blockhash, str) else blockhash

        def seen():
            m = self.last_message.get("headers")
            return m is not None and any(x.sha256 == h for x in m.headers)
        self.wait_until(seen, timeout, "headers with %064x" % h)

    def wait_for_block(self, blockhash, timeout=DEFAULT_TIMEOUT):
        h = int(blockhash, 16) if isinstance(blockhash, str) else blockhash

        def seen():
            m = self.last_message.get("block")
            return m is not None and m.block.sha256 == h
        self.wait_until(seen, timeout, "block %064x" % h)

    def wait_for_getdata(self, hashes, timeout=DEFAULT_TIMEOUT):
        """Waits until the node asked for every hash (ints or hex) in hashes."""
        want = {int(h, 16) if isinstance(h, str) else h for h in hashes}
        self.wait_until(lambda: want <= {i.hash for i in self.getdata_requests}, timeout, "getdata")

    def wait_for_inv(self, invs, timeout=DEFAULT_TIMEOUT):
        """Waits until the last inv the node sent contains every CInv in invs."""
        def seen():
            m = self.last_message.get("inv")
            return m is not None and all(i in m.inv for i in invs)
        self.wait_until(seen, timeout, "inv %r" % (invs,))

    def sync_with_ping(self, timeout=DEFAULT_TIMEOUT):
        """A ping round trip: the node handled everything we sent before it."""
        with p2p_lock:
            self._ping_nonce += 1
            nonce = self._ping_nonce
        self.send_message(msg_ping(nonce))

        def answered():
            m = self.last_message.get("pong")
            return m is not None and m.nonce == nonce
        self.wait_until(answered, timeout, "pong %x" % nonce)

    def send_and_ping(self, msg, timeout=DEFAULT_TIMEOUT):
        self.send_message(msg)
        self.sync_with_ping(timeout)

    def clear_messages(self):
        with p2p_lock:
            self.last_message.clear()
            self.message_count.clear()
            self.received.clear()

    # -- chain helpers --

    def send_getheaders(self, locator, stop=0):
        """locator: block hashes (ints or hex), newest first."""
        have = [int(h, 16) if isinstance(h, str) else h for h in locator]
        self.send_message(msg_getheaders(have, stop))

    def announce_blocks(self, blocks):
        """Stores blocks for getdata and announces their headers."""
        with p2p_lock:
            for b in blocks:
                self.block_store[b.sha256] = b
        self.send_message(msg_headers([CBlockHeader(b) for b in blocks]))

    def add_tx(self, tx):
        with p2p_lock:
            self.tx_store[tx.txid_int] = tx
            self.tx_store[tx.wtxid_int] = tx


class P2PInbound(P2PInterface):
    """A peer the node dials: listen() opens a loopback port and accepts one connection;
    the node sends version first and we answer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.we_dialled = False
        self.listen_port = None
        self._listener = None

    def listen(self, port=0, host="127.0.0.1"):
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((host, port))
        lsock.listen(1)
        self._listener = lsock
        self.listen_port = lsock.getsockname()[1]
        threading.Thread(target=self._accept_one, daemon=True, name="p2p-accept").start()
        return self.listen_port

    def _accept_one(self):
        try:
            sock, addr = self._listener.accept()
        except OSError:
            return
        finally:
            try:
                self._listener.close()
            except OSError:
                pass
        self.dstaddr, self.dstport = addr[0], addr[1]
        self._attach(sock)

    def stop_listening(self):
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept()
            except OSError:
                pass
            try:
                self._listener.close()
            except OSError:
                pass
