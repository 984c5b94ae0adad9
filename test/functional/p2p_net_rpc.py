#!/usr/bin/env python3
"""The network RPC methods against two real nodes and Python peers: addnode (add, remove,
onetry) with getaddednodeinfo, disconnectnode by address and by id, getnettotals growing
with traffic, ping filling pingtime, setnetworkactive dropping and refusing
connections, setban/listbanned/clearbanned (refused connections, persistence in
banlist.json across a restart, Core's error codes), discouragement of a misbehaving
peer and -whitelist=noban sparing one, getnodeaddresses after an addr message, and the
option errors of -port and -whitelist."""
import os
import time

from test_framework.authproxy import JSONRPCException
from test_framework.messages import CAddress, NODE_NETWORK, NODE_WITNESS, msg_addr, msg_unknown
from test_framework.p2p import P2PInterface
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_raises_rpc_error, free_port, wait_until


class NetRpcTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.p2p = True

    def peers_of(self, node, other):
        return [p for p in node.rpc.getpeerinfo() if p["addr"] == other.p2p_addr]

    def run_test(self):
        n0, n1 = self.nodes
        n0.rpc.generatetodescriptor(3, "raw(51)")

        self.log("getnetworkinfo and getconnectioncount on a lone node")
        info = n0.rpc.getnetworkinfo()
        assert_equal(info["connections"], 0)
        assert_equal(info["networkactive"], True)
        assert_equal(info["protocolversion"], 70016)
        assert_equal(info["localservices"], "0000000000000009")
        assert_equal(info["localservicesnames"], ["NETWORK", "WITNESS"])
        assert_equal(n0.rpc.getconnectioncount(), 0)

        self.log("addnode add / getaddednodeinfo / remove, with Core's errors")
        n1.rpc.addnode(n0.p2p_addr, "add")
        assert_raises_rpc_error(-23, "Error: Node already added", n1.rpc.addnode, n0.p2p_addr, "add")
        wait_until(lambda: len(self.peers_of(n1, n0)) == 1, 30, what="added node connects")
        added = n1.rpc.getaddednodeinfo()
        assert_equal(len(added), 1)
        assert_equal(added[0]["addednode"], n0.p2p_addr)
        wait_until(lambda: n1.rpc.getaddednodeinfo(n0.p2p_addr)[0]["connected"], 30,
                   what="getaddednodeinfo connected")
        assert_equal(n1.rpc.getaddednodeinfo(n0.p2p_addr)[0]["addresses"][0]["connected"], "outbound")
        assert_equal(self.peers_of(n1, n0)[0]["connection_type"], "manual")
        assert_raises_rpc_error(-24, "Error: Node has not been added.", n1.rpc.getaddednodeinfo,
                                "127.0.0.1:1")
        n1.rpc.addnode(n0.p2p_addr, "remove")
        assert_raises_rpc_error(-24, "It has not been added previously", n1.rpc.addnode,
                                n0.p2p_addr, "remove")
        assert_equal(n1.rpc.getaddednodeinfo(), [])
        assert_raises_rpc_error(-8, "Invalid command", n1.rpc.addnode, n0.p2p_addr, "bogus")

        self.log("getnettotals grows with traffic; ping fills pingtime")
        t0 = n1.rpc.getnettotals()
        n1.rpc.ping()
        wait_until(lambda: "pingtime" in self.peers_of(n1, n0)[0], 30, what="pingtime")
        wait_until(lambda: n1.rpc.getnettotals()["totalbytessent"] > t0["totalbytessent"], 30,
                   what="bytes sent grow")
        t1 = n1.rpc.getnettotals()
        assert t1["totalbytesrecv"] >= t0["totalbytesrecv"]
        assert abs(t1["timemillis"] / 1000 - time.time()) < 60
        peer = self.peers_of(n1, n0)[0]
        assert peer["bytessent"] > 0 and peer["bytesrecv"] > 0
        assert "ping" in peer["bytessent_per_msg"] and "version" in peer["bytesrecv_per_msg"]

        self.log("disconnectnode by address and by id")
        n1.rpc.disconnectnode(n0.p2p_addr)
        wait_until(lambda: not self.peers_of(n1, n0), 30, what="disconnect by address")
        assert_raises_rpc_error(-29, "Node not found in connected nodes", n1.rpc.disconnectnode,
                                n0.p2p_addr)
        self.connect_nodes(1, 0)
        pid = self.peers_of(n1, n0)[0]["id"]
        n1.rpc.disconnectnode("", pid)
        wait_until(lambda: not self.peers_of(n1, n0), 30, what="disconnect by id")
        assert_raises_rpc_error(-29, "Node not found", n1.rpc.disconnectnode, "", pid)
        assert_raises_rpc_error(-32602, "Only one of address and nodeid", n1.rpc.disconnectnode,
                                n0.p2p_addr, 5)

        self.log("setnetworkactive false drops peers and refuses new ones")
        self.connect_nodes(1, 0)
        assert_equal(n0.rpc.setnetworkactive(False), False)
        wait_until(lambda: n0.rpc.getconnectioncount() == 0, 30, what="peers dropped")
        assert_equal(n0.rpc.getnetworkinfo()["networkactive"], False)
        n1.rpc.addnode(n0.p2p_addr, "onetry")
        time.sleep(1)
        assert_equal(n0.rpc.getconnectioncount(), 0)
        assert_equal(n0.rpc.setnetworkactive(True), True)
        self.connect_nodes(1, 0)

        self.log("setban: a banned subnet is disconnected and refused")
        assert_raises_rpc_error(-30, "Error: Invalid IP/Subnet", n0.rpc.setban, "1.2.3.4/99", "add")
        n0.rpc.setban("127.0.0.0/8", "add")
        wait_until(lambda: n0.rpc.getconnectioncount() == 0, 30, what="banned peer dropped")
        banned = n0.rpc.listbanned()
        assert_equal(len(banned), 1)
        assert_equal(banned[0]["address"], "127.0.0.0/8")
        assert_equal(banned[0]["ban_duration"], 86400)
        assert banned[0]["time_remaining"] > 86000
        assert_raises_rpc_error(-23, "Error: IP/Subnet already banned", n0.rpc.setban,
                                "127.0.0.0/8", "add")
        refused = P2PInterface()
        refused.peer_connect("127.0.0.1", n0.p2p_port)
        refused.wait_for_disconnect(30)
        n0.rpc.setban("10.0.0.1", "add", 1000)
        n0.rpc.setban("10.0.0.2", "add", int(time.time()) + 5000, True)
        assert_raises_rpc_error(-8, "Absolute timestamp is in the past", n0.rpc.setban,
                                "10.0.0.3", "add", 1000, True)
        by_addr = {b["address"]: b for b in n0.rpc.listbanned()}
        assert_equal(by_addr["10.0.0.1/32"]["ban_duration"], 1000)
        assert abs(by_addr["10.0.0.2/32"]["banned_until"] - (time.time() + 5000)) < 60

        self.log("bans survive a restart (banlist.json)")
        n0.stop()
        with open(os.path.join(n0.chaindir, "banlist.json")) as f:
            assert "127.0.0.0/8" in f.read()
        n0.start()
        assert_equal(len(n0.rpc.listbanned()), 3)
        n0.rpc.setban("127.0.0.0/8", "remove")
        assert_raises_rpc_error(-30, "Unban failed", n0.rpc.setban, "127.0.0.0/8", "remove")
        n0.rpc.clearbanned()
        assert_equal(n0.rpc.listbanned(), [])
        self.connect_nodes(1, 0)

        self.log("getnodeaddresses returns what a peer told us in addr")
        gossip = P2PInterface()
        n0.add_p2p_connection(gossip)
        now = int(time.time())
        addrs = []
        for i in range(5):
            a = CAddress("8.%d.8.8" % (i + 1), 4877, NODE_NETWORK | NODE_WITNESS, now - 60)
            addrs.append(a)
        gossip.send_and_ping(msg_addr(addrs))
        known = n0.rpc.getnodeaddresses(0)
        got = {(a["address"], a["port"]) for a in known}
        assert ("8.1.8.8", 4877) in got, known
        assert all(a["network"] == "ipv4" for a in known)
        assert_equal(len(n0.rpc.getnodeaddresses(0, "ipv6")), 0)
        assert_raises_rpc_error(-8, "Address count out of range", n0.rpc.getnodeaddresses, -1)
        assert_raises_rpc_error(-8, "Network not recognized", n0.rpc.getnodeaddresses, 1, "x")
        peer = [p for p in n0.rpc.getpeerinfo() if p["addr"].endswith(":%d" % gossip.local_port)][0]
        assert peer["addr_processed"] >= 1

        self.log("a misbehaving peer is discouraged; manual and noban peers are only logged")
        bad = P2PInterface()
        n0.add_p2p_connection(bad)
        bad.send_message(msg_unknown(b"inv", b"\xfe\xff\xff\xff\xff"))  # absurd count
        bad.wait_for_disconnect(30)
        n0.disconnect_p2ps()
        manual = n0.add_outbound_p2p_connection()  # the node dials it: a manual connection
        manual.send_message(msg_unknown(b"inv", b"\xfe\xff\xff\xff\xff"))
        manual.sync_with_ping(30)
        assert manual.is_connected, "a manual connection was punished"
        n0.disconnect_p2ps()
        n0.stop()
        n0.start(["-whitelist=noban@127.0.0.1"])
        spared = P2PInterface()
        n0.add_p2p_connection(spared)
        peer = [p for p in n0.rpc.getpeerinfo() if p["addr"].endswith(":%d" % spared.local_port)][0]
        assert "noban" in peer["permissions"], peer["permissions"]
        spared.send_message(msg_unknown(b"inv", b"\xfe\xff\xff\xff\xff"))
        spared.sync_with_ping(30)
        assert spared.is_connected
        n0.disconnect_p2ps()

        self.log("-whitebind: peers on that socket get its permissions")
        n0.stop()
        wport = free_port()
        n0.start(["-whitebind=download,addr@127.0.0.1:%d" % wport])
        wb = P2PInterface()
        wb.peer_connect("127.0.0.1", wport)
        wb.wait_for_verack()
        wb.sync_with_ping()
        peer = [p for p in n0.rpc.getpeerinfo() if p["addr"].endswith(":%d" % wb.local_port)][0]
        assert_equal(sorted(peer["permissions"]), ["addr", "download"])
        wb.peer_disconnect()
        wb.wait_for_disconnect()

        self.log("option errors")
        n0.stop()
        r = n0.run_iopd(["-port=70000"])
        assert r.returncode != 0 and "Invalid port specified in -port" in r.stderr, r.stderr
        r = n0.run_iopd(["-whitelist=bogus@127.0.0.1"])
        assert r.returncode != 0 and "Invalid P2P permission" in r.stderr, r.stderr
        r = n0.run_iopd(["-whitelist=1.2.3.4/99"])
        assert r.returncode != 0 and "Invalid netmask specified in -whitelist" in r.stderr, r.stderr
        n0.start()


if __name__ == "__main__":
    run(NetRpcTest)
