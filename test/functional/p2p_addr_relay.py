#!/usr/bin/env python3
"""Address gossip: a fresh routable address in a small addr message is forwarded to two
other peers after the trickle delay (setmocktime moves the clock past it), in addr or
addrv2 by what each peer asked for, and not back to the sender; an address in a big
addr message (more than 10 entries) is stored but not forwarded; a getaddr is answered
once per connection with at most 23% of what was learnt. The node runs with -connect=0
(the framework's default), so none of these addresses is ever dialled."""
import time

from test_framework.messages import CAddress, NODE_NETWORK, NODE_WITNESS, msg_addr, msg_getaddr
from test_framework.p2p import P2PInterface, p2p_lock
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until


class AddrRecorder(P2PInterface):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.heard = []

    def on_addr(self, msg):
        self.heard.extend((a.ip, a.port) for a in msg.addrs)

    def on_addrv2(self, msg):
        self.heard.extend((a.ip, a.port) for a in msg.addrs)

    def has(self, ip, port):
        with p2p_lock:
            return (ip, port) in self.heard


class AddrRelayTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.p2p = True
        # addr permission: no rate limit, so the big message below is stored whole.
        self.extra_args = [["-whitelist=addr@127.0.0.1"]]

    def run_test(self):
        node = self.nodes[0]
        node.rpc.generatetodescriptor(1, "raw(51)")
        sender = node.add_p2p_connection(AddrRecorder())
        v1 = node.add_p2p_connection(AddrRecorder(support_addrv2=False))
        v2 = node.add_p2p_connection(AddrRecorder())

        self.log("a fresh address in a one-entry addr reaches both other peers")
        now = int(time.time())
        services = NODE_NETWORK | NODE_WITNESS
        sender.send_and_ping(msg_addr([CAddress("8.9.10.11", 4877, services, now)]))
        node.rpc.setmocktime(now + 600)  # past any trickle delay
        wait_until(lambda: v1.has("8.9.10.11", 4877) and v2.has("8.9.10.11", 4877),
                   what="address gossiped to both peers")
        with p2p_lock:
            assert_equal(v1.message_count["addrv2"], 0)  # it did not ask for addrv2
            assert v2.message_count["addrv2"] >= 1
        for p in (sender, v1, v2):
            p.sync_with_ping()  # traffic at the mocked time: no inactivity timeout
        node.rpc.setmocktime(now + 1200)
        sender.sync_with_ping()
        time.sleep(0.5)
        sender.sync_with_ping()
        assert not sender.has("8.9.10.11", 4877), "echoed back to its sender"
        for p in (v1, v2):
            p.sync_with_ping()

        self.log("addresses from a big addr message are stored but not forwarded")
        now += 1200
        big = [CAddress("9.9.9.%d" % i, 4877, services, now) for i in range(1, 12)]
        sender.send_and_ping(msg_addr(big))
        node.rpc.setmocktime(now + 600)
        time.sleep(1)
        v2.sync_with_ping()
        assert not any(v2.has("9.9.9.%d" % i, 4877) for i in range(1, 12))

        self.log("getaddr is answered once with what the node learnt")
        asker = node.add_p2p_connection(AddrRecorder())
        asker.send_and_ping(msg_getaddr())
        learnt = {("8.9.10.11", 4877)} | {("9.9.9.%d" % i, 4877) for i in range(1, 12)}
        wait_until(lambda: asker.message_count["addrv2"] > 0, what="getaddr answer")
        with p2p_lock:
            got = set(asker.heard)
        # Core answers with at most 23% of the table, chosen at random.
        assert got and got <= learnt and len(got) <= 12 * 23 // 100, got
        with p2p_lock:
            first = asker.message_count["addrv2"] + asker.message_count["addr"]
        asker.send_and_ping(msg_getaddr())
        with p2p_lock:
            assert_equal(asker.message_count["addrv2"] + asker.message_count["addr"], first)
        node.rpc.setmocktime(0)


if __name__ == "__main__":
    run(AddrRelayTest)
