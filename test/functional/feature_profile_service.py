#!/usr/bin/env python3
"""The profile service inside iopd: -profile=1 starts it on -profileport over TLS 1.3,
getprofileserverinfo describes it, a client written here from doc/services-protocol.md
(Python's ssl module and a few lines of protobuf wire format, no generated code) gets
Ping and ListRoles answers, an oversized frame closes the connection while the server
keeps serving, the server identity survives a restart, and without -profile the method
says it is disabled."""
import socket
import ssl
import struct

from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, free_port


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def parse(buf):
    """{field: [values]} of one protobuf message (varints and length-delimited only)."""
    out, i = {}, 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = read_varint(buf, i)
        elif wire == 2:
            n, i = read_varint(buf, i)
            val, i = buf[i:i + n], i + n
        else:
            raise AssertionError("unexpected wire type %d" % wire)
        out.setdefault(num, []).append(val)
    return out


def read_varint(buf, i):
    shift = val = 0
    while True:
        b = buf[i]
        i += 1
        val |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return val, i


class ProfileClient:
    def __init__(self, port):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # identity comes from the conversation, not the cert
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock = ctx.wrap_socket(raw)
        assert_equal(self.sock.version(), "TLSv1.3")

    def send_frame(self, payload):
        self.sock.sendall(struct.pack("<I", len(payload)) + payload)

    def recv_frame(self):
        head = self.recv_exact(4)
        return self.recv_exact(struct.unpack("<I", head)[0])

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError("closed")
            data += chunk
        return data

    def call(self, msg_id, request_field, request_body):
        req = field(request_field, 2, request_body)
        self.send_frame(field(1, 0, msg_id) + field(2, 2, req))
        msg = parse(self.recv_frame())
        assert_equal(msg.get(1, [0])[0], msg_id)
        return parse(msg[3][0])


class ProfileServiceTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        assert_equal(node.rpc.getprofileserverinfo()["enabled"], False)
        port = free_port()
        args = ["-profile=1", "-profileport=%d" % port, "-profilebind=127.0.0.1"]
        node.stop()
        node.start(args)

        self.log("getprofileserverinfo describes the running service")
        info = node.rpc.getprofileserverinfo()
        assert_equal(info["enabled"], True)
        assert_equal(info["port"], port)
        assert_equal(info["hosted"], 0)
        assert_equal(len(info["identity"]), 64)

        self.log("Ping and ListRoles over TLS 1.3 from a hand-written client")
        c = ProfileClient(port)
        resp = c.call(7, 10, field(1, 2, b"hello iop"))
        assert_equal(resp.get(1, [0])[0], 0)  # OK
        ping = parse(resp[10][0])
        assert_equal(ping[1][0], b"hello iop")
        assert ping[2][0] > 1_600_000_000_000  # server clock in ms
        roles = parse(c.call(8, 11, b"")[11][0])
        services = [parse(r) for r in roles.get(1, [])]
        assert any(r.get(1, [0])[0] == 1 and r.get(2, [0])[0] == port for r in services), services

        self.log("an oversized frame closes that connection; others are served")
        bad = ProfileClient(port)
        bad.sock.sendall(struct.pack("<I", (1 << 20) + 1))
        try:
            while bad.recv_frame():
                pass  # a protocol-violation report may come first
        except (EOFError, OSError, ssl.SSLError):
            pass
        resp = ProfileClient(port).call(9, 10, field(1, 2, b"still here"))
        assert_equal(parse(resp[10][0])[1][0], b"still here")

        self.log("the server identity survives a restart")
        node.stop()
        node.start(args)
        assert_equal(node.rpc.getprofileserverinfo()["identity"], info["identity"])

        self.log("a bad -profileport is a start-up error")
        node.stop()
        r = node.run_iopd(["-profile=1", "-profileport=70000"])
        assert r.returncode != 0 and "Invalid port specified in -profileport" in r.stderr, r.stderr
        node.start()


if __name__ == "__main__":
    run(ProfileServiceTest)
