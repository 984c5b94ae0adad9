#!/usr/bin/env python3
"""The version handshake with Python peers, both directions: the fields of the node's
version message, wtxidrelay and sendaddrv2 before verack, the messages after it
(sendcmpct, ping, feefilter, sendheaders once it knows our best header), pings echoed,
getpeerinfo/getnetworkinfo describing the connection, obsolete versions and a
self-connection refused. Skips until the daemon has its P2P layer."""
import time

from test_framework.iop_tx import p2wpkh_address, pubkey
from test_framework.messages import (
    NODE_NETWORK, NODE_WITNESS, PROTOCOL_VERSION, CBlockHeader, from_hex, msg_headers, msg_ping)
from test_framework.p2p import P2PInbound, P2PInterface, p2p_lock
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until


class NoVerackInbound(P2PInbound):
    """Listens, records the node's version and never answers."""

    def on_version(self, msg):
        self.peer_version = msg


class HandshakeTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.p2p = True

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc
        addr = p2wpkh_address(pubkey(3))
        rpc.generatetoaddress(5, addr)  # a recent tip: out of initial block download
        height = rpc.getblockcount()

        self.log("inbound: the node's version message")
        before = time.time()
        peer = node.add_p2p_connection(P2PInterface())
        v = peer.peer_version
        assert_equal(v.version, PROTOCOL_VERSION)
        assert_equal(v.services & (NODE_NETWORK | NODE_WITNESS), NODE_NETWORK | NODE_WITNESS)
        assert v.user_agent.startswith(b"/iopd:"), v.user_agent
        assert v.user_agent.endswith(b"/"), v.user_agent
        assert_equal(v.start_height, height)
        assert abs(v.time - before) < 60, (v.time, before)
        assert v.nonce != 0
        assert_equal(v.relay, 1)
        # addr_recv is us as the node sees us.
        local_port = peer.local_port
        assert_equal(v.addr_recv.ip, "127.0.0.1")
        assert_equal(v.addr_recv.port, local_port)

        self.log("wtxidrelay and sendaddrv2 come between version and verack")
        with p2p_lock:
            order = list(peer.received)
        assert_equal(order[0], "version")
        iv = order.index("verack")
        assert "wtxidrelay" in order[:iv], order
        assert "sendaddrv2" in order[:iv], order
        assert_equal(order.count("version"), 1)

        self.log("after verack: sendcmpct, ping, feefilter")
        peer.wait_for_message("sendcmpct")
        peer.wait_for_message("ping")
        peer.wait_for_message("feefilter")
        with p2p_lock:
            order = list(peer.received)
            cmpct = peer.last_message["sendcmpct"]
        for m in ("sendcmpct", "ping", "feefilter"):
            assert order.index(m) > order.index("verack"), order
        assert_equal(cmpct.version, 2)
        assert 0 <= peer.last_message["feefilter"].feerate <= 21 * 10**14

        self.log("sendheaders once the node knows our best header")
        tip = from_hex(CBlockHeader(), rpc.getblockheader(rpc.getbestblockhash(), False))
        assert_equal(tip.hash, rpc.getbestblockhash())
        peer.send_and_ping(msg_headers([tip]))
        peer.wait_for_message("sendheaders")
        assert peer.received.index("sendheaders") > peer.received.index("verack")

        self.log("ping nonces are echoed")
        for nonce in (1, 0xffffffffffffffff, 0x0123456789abcdef):
            peer.send_message(msg_ping(nonce))
            peer.wait_until(lambda: "pong" in peer.last_message and
                            peer.last_message["pong"].nonce == nonce, what="pong %x" % nonce)
        # The node measured the ping it sent us (we answered it).
        wait_until(lambda: any("pingtime" in p for p in rpc.getpeerinfo()), what="pingtime")

        self.log("getpeerinfo and getnetworkinfo describe the inbound peer")
        peers = rpc.getpeerinfo()
        assert_equal(len(peers), 1)
        p = peers[0]
        assert_equal(p["inbound"], True)
        assert_equal(p["connection_type"], "inbound")
        assert_equal(p["version"], PROTOCOL_VERSION)
        assert_equal(p["subver"], "/pyp2p:0.1/")
        assert_equal(int(p["services"], 16), NODE_NETWORK | NODE_WITNESS)
        assert_equal(p["startingheight"], -1)
        assert_equal(p["addr"], "127.0.0.1:%d" % local_port)
        assert p["bytesrecv"] > 0 and p["bytessent"] > 0, p
        info = rpc.getnetworkinfo()
        assert_equal(info["protocolversion"], PROTOCOL_VERSION)
        assert info["subversion"].startswith("/iopd:"), info["subversion"]
        assert_equal(info["subversion"].encode(), v.user_agent)
        assert_equal(int(info["localservices"], 16) & (NODE_NETWORK | NODE_WITNESS),
                     NODE_NETWORK | NODE_WITNESS)
        assert_equal(info["connections"], 1)
        assert_equal(info["connections_in"], 1)
        assert_equal(info["connections_out"], 0)
        assert_equal(rpc.getconnectioncount(), 1)

        self.log("outbound: the node dials a Python peer (addnode onetry)")
        out = P2PInbound()
        out.start_height = 0
        node.add_outbound_p2p_connection(out)
        ov = out.peer_version
        assert_equal(ov.version, PROTOCOL_VERSION)
        assert ov.user_agent.startswith(b"/iopd:")
        assert_equal(ov.start_height, height)
        assert ov.nonce != v.nonce  # a fresh nonce per connection
        with p2p_lock:
            order = list(out.received)
        assert_equal(order[0], "version")  # the dialling side speaks first
        iv = order.index("verack")
        assert "wtxidrelay" in order[:iv] and "sendaddrv2" in order[:iv], order
        mine = [p for p in rpc.getpeerinfo() if p["addr"] == "127.0.0.1:%d" % out.listen_port]
        assert_equal(len(mine), 1)
        assert_equal(mine[0]["inbound"], False)
        assert_equal(mine[0]["connection_type"], "manual")
        assert_equal(mine[0]["startingheight"], 0)
        assert_equal(rpc.getconnectioncount(), 2)

        self.log("a peer with an obsolete protocol version is dropped")
        old = P2PInterface()
        old.make_version = lambda: self._old_version(old)
        node.add_p2p_connection(old, wait_for_verack=False)
        old.wait_for_disconnect()
        assert not old.verack_received

        self.log("a self-connection (our own version nonce coming back) is dropped")
        half = NoVerackInbound()
        node.add_outbound_p2p_connection(half, wait_for_verack=False)
        half.wait_until(lambda: half.peer_version is not None, what="version from the node")
        echo = P2PInterface()
        nonce = half.peer_version.nonce

        def echo_version():
            m = P2PInterface.make_version(echo)
            m.nonce = nonce
            return m
        echo.make_version = echo_version
        node.add_p2p_connection(echo, wait_for_verack=False)
        echo.wait_for_disconnect()
        assert not echo.verack_received

        self.log("the node still serves well-behaved peers")
        again = node.add_p2p_connection(P2PInterface())
        assert_equal(again.peer_version.version, PROTOCOL_VERSION)
        node.disconnect_p2ps()
        wait_until(lambda: rpc.getconnectioncount() == 0, what="all peers gone")

    @staticmethod
    def _old_version(conn):
        m = P2PInterface.make_version(conn)
        m.version = 31799
        return m


if __name__ == "__main__":
    run(HandshakeTest)
