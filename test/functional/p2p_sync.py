#!/usr/bin/env python3
"""Block sync over P2P: four nodes in a line (0-1-2-3) follow blocks mined on node 0;
a Python peer reads the chain with getheaders and getdata and feeds the node blocks of
its own through headers-first download; new blocks are announced by headers to a
sendheaders peer and by inv to the others; a split network converges on the longer side
when rejoined; a restarted node catches up, more than 2,000 blocks behind (two getheaders
rounds). Skips until the daemon has its P2P layer."""
from test_framework.iop_tx import p2wpkh_address, pubkey
from test_framework.messages import (
    MAX_HEADERS_RESULTS, MSG_BLOCK, MSG_WITNESS_BLOCK, CBlockHeader, CInv, create_block,
    create_coinbase, from_hex, msg_getdata, msg_headers, msg_sendheaders, uint256_from_hex)
from test_framework.p2p import P2PInterface, p2p_lock
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until

ADDRS = [p2wpkh_address(pubkey(100 + i)) for i in range(4)]


class HeaderTracker(P2PInterface):
    """Remembers every header and block inv the node sent, and records headers messages
    whose first header's parent it never heard of ("dangling")."""

    def __init__(self):
        super().__init__()
        self.known = set()
        self.inv_blocks = set()
        self.dangling = []

    def on_headers(self, msg):
        if msg.headers and self.known and msg.headers[0].prev not in self.known:
            self.dangling.append(msg.headers[0].hash)
        for h in msg.headers:
            self.known.add(h.sha256)
            self.known.add(h.prev)

    def on_inv(self, msg):
        self.inv_blocks.update(i.hash for i in msg.inv if i.type == MSG_BLOCK)

    def announced(self, h):
        return h in self.known or h in self.inv_blocks


class SyncTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 4
        self.p2p = True

    def header(self, node, blockhash):
        return from_hex(CBlockHeader(), node.rpc.getblockheader(blockhash, False))

    def run_test(self):
        n0, n1, n2, n3 = self.nodes
        for a, b in ((0, 1), (1, 2), (2, 3)):
            self.connect_nodes(a, b)

        self.log("110 blocks mined on node 0 reach node 3")
        hashes = n0.rpc.generatetoaddress(110, ADDRS[0])
        self.sync_blocks()
        for n in self.nodes:
            assert_equal(n.rpc.getblockcount(), 110)
        # node 3 knows its peer (node 2) has everything.
        wait_until(lambda: [(p["synced_headers"], p["synced_blocks"]) for p in n3.rpc.getpeerinfo()]
                   == [(110, 110)], what="node 3's view of node 2")

        self.log("getheaders from a Python peer")
        peer = n3.add_p2p_connection(P2PInterface())
        genesis = n3.rpc.getblockhash(0)
        peer.send_getheaders([genesis])
        peer.wait_until(lambda: "headers" in peer.last_message, what="headers")
        got = peer.last_message["headers"].headers
        assert_equal([h.hash for h in got], hashes)
        prev = uint256_from_hex(genesis)
        for h in got:  # linked, and each meets its target
            assert_equal(h.prev, prev)
            assert h.check_pow()
            prev = h.sha256
        peer.clear_messages()
        # A locator in the middle, newest first, with an unknown hash ahead of it.
        peer.send_getheaders(["11" * 32, hashes[99], hashes[50]])
        peer.wait_until(lambda: "headers" in peer.last_message, what="headers")
        assert_equal([h.hash for h in peer.last_message["headers"].headers], hashes[100:])
        peer.clear_messages()
        # A stop hash ends the answer there.
        peer.send_getheaders([genesis], uint256_from_hex(hashes[49]))
        peer.wait_until(lambda: "headers" in peer.last_message, what="headers")
        assert_equal([h.hash for h in peer.last_message["headers"].headers], hashes[:50])
        peer.clear_messages()
        # At the tip: an empty answer.
        peer.send_getheaders([hashes[-1]])
        peer.wait_until(lambda: "headers" in peer.last_message, what="headers")
        assert_equal(peer.last_message["headers"].headers, [])

        self.log("getdata MSG_WITNESS_BLOCK returns the block as getblock has it")
        want = [hashes[9], hashes[100]]
        peer.send_message(msg_getdata([CInv(MSG_WITNESS_BLOCK, uint256_from_hex(h)) for h in want]))
        peer.wait_until(lambda: peer.message_count["block"] >= 2, what="two blocks")
        peer.wait_for_block(want[1])
        blk = peer.last_message["block"].block
        assert_equal(blk.serialize().hex(), n3.rpc.getblock(want[1], 0))
        assert blk.is_valid_merkle()

        self.log("headers-first download of blocks the node has never seen")
        feeder = n0.add_p2p_connection(P2PInterface())
        tip = self.header(n0, hashes[-1])
        blocks = []
        prev_hash, t = hashes[-1], tip.time
        for i in range(5):
            t += 1
            b = create_block(prev_hash, 111 + i, ntime=t)
            blocks.append(b)
            prev_hash = b.hash
        feeder.announce_blocks(blocks)
        feeder.wait_for_getdata([b.sha256 for b in blocks])
        with p2p_lock:
            types = {i.type for i in feeder.getdata_requests}
        assert_equal(types, {MSG_WITNESS_BLOCK})
        wait_until(lambda: n0.rpc.getbestblockhash() == blocks[-1].hash,
                   what="node 0 takes our blocks")
        self.sync_blocks()
        assert_equal(n3.rpc.getblock(blocks[2].hash, 0), blocks[2].serialize().hex())

        self.log("announcements: headers to a sendheaders peer, inv to the others")
        hp = n3.add_p2p_connection(P2PInterface())
        hp.send_getheaders([hashes[-1]])  # learn the tip: announcements connect to it
        hp.wait_for_header(blocks[-1].sha256)
        hp.send_and_ping(msg_headers([CBlockHeader(blocks[-1])]))
        hp.send_and_ping(msg_sendheaders())
        hp.clear_messages()
        peer.clear_messages()
        new = n0.rpc.generatetoaddress(1, ADDRS[0])[0]
        hp.wait_for_header(new)
        peer.wait_for_inv([CInv(MSG_BLOCK, uint256_from_hex(new))])
        with p2p_lock:
            assert "inv" not in hp.last_message or all(
                i.type != MSG_BLOCK for i in hp.last_message["inv"].inv)
        self.sync_blocks()
        n3.disconnect_p2ps()
        n0.disconnect_p2ps()

        self.log("after an inv announcement, a headers announcement still connects")
        # A reorganization connects 11 blocks at once: more than a headers announcement
        # carries (8), so a sendheaders peer gets an inv. The next block's announcement
        # must not be a lone header whose parent the peer was never given.
        watcher = n0.add_p2p_connection(HeaderTracker())
        tip_hash = n0.rpc.getbestblockhash()
        watcher.send_getheaders([n0.rpc.getblockhash(0)])
        watcher.wait_for_header(tip_hash)
        watcher.send_and_ping(msg_headers([self.header(n0, tip_hash)]))
        watcher.send_and_ping(msg_sendheaders())
        height = n0.rpc.getblockcount()
        fork = n0.rpc.getblockhash(height - 10)
        t = self.header(n0, tip_hash).time
        branch, prev_hash = [], fork
        for i in range(11):
            b = create_block(prev_hash, height - 9 + i, ntime=t + 1 + i,
                             coinbase=create_coinbase(height - 9 + i, extra=b"\x01"))
            branch.append(b)
            prev_hash = b.hash
        feeder = n0.add_p2p_connection(P2PInterface())
        feeder.announce_blocks(branch)
        wait_until(lambda: n0.rpc.getbestblockhash() == branch[-1].hash,
                   what="reorg to the branch")
        watcher.wait_until(lambda: watcher.announced(branch[-1].sha256), what="branch announced")
        nxt = n0.rpc.generatetoaddress(1, ADDRS[0])[0]
        watcher.wait_until(lambda: watcher.announced(uint256_from_hex(nxt)),
                           what="next announced")
        with p2p_lock:
            if watcher.dangling:
                raise AssertionError(
                    "node 0 announced %s by headers starting at a block whose parent it had "
                    "only announced by inv (a non-connecting announcement)" % watcher.dangling)
        self.sync_blocks()
        n0.disconnect_p2ps()

        self.log("a split: node 0-1 and node 2-3 mine apart, the longer side wins")
        self.disconnect_nodes(1, 2)
        base = n0.rpc.getblockcount()
        short = n0.rpc.generatetoaddress(5, ADDRS[0])
        long = n3.rpc.generatetoaddress(12, ADDRS[3])
        self.sync_blocks([n0, n1])
        self.sync_blocks([n2, n3])
        assert_equal(n1.rpc.getbestblockhash(), short[-1])
        assert_equal(n2.rpc.getbestblockhash(), long[-1])
        self.connect_nodes(1, 2)
        self.sync_blocks()
        assert_equal(n0.rpc.getbestblockhash(), long[-1])
        assert_equal(n0.rpc.getblockcount(), base + 12)
        tips = {t["hash"]: t["status"] for t in n0.rpc.getchaintips()}
        assert_equal(tips[long[-1]], "active")
        assert short[-1] in tips and tips[short[-1]] != "active"

        self.log("a restarted node catches up from more than 2,000 blocks behind")
        n3.stop()
        behind = n0.rpc.getblockcount()
        self.disconnect_nodes(0, 1)  # node 0 mines alone; node 1 then syncs in two rounds
        ahead = n0.rpc.generatetoaddress(MAX_HEADERS_RESULTS + 50, ADDRS[0])
        self.connect_nodes(0, 1)
        self.sync_blocks([n0, n1, n2], timeout=120)
        n3.start()
        assert_equal(n3.rpc.getblockcount(), behind)
        self.connect_nodes(2, 3)
        self.sync_blocks(timeout=180)
        assert_equal(n3.rpc.getbestblockhash(), ahead[-1])
        # node 2 saw node 3's old height in its version message.
        to3 = [p for p in n2.rpc.getpeerinfo() if p["addr"] == n3.p2p_addr]
        assert_equal([p["startingheight"] for p in to3], [behind])
        # A getheaders from genesis is answered with exactly 2,000 headers.
        cap = n3.add_p2p_connection(P2PInterface())
        cap.send_getheaders([n3.rpc.getblockhash(0)])
        cap.wait_until(lambda: "headers" in cap.last_message, what="headers")
        got = cap.last_message["headers"].headers
        assert_equal(len(got), MAX_HEADERS_RESULTS)
        assert_equal(got[-1].hash, n3.rpc.getblockhash(MAX_HEADERS_RESULTS))
        n3.disconnect_p2ps()

        self.log("blocks mined in quick succession with every node connected")
        # Notifications coalesce: more than 8 new blocks per announcement round happen.
        fast = n0.rpc.generatetoaddress(1000, ADDRS[0])
        try:
            self.sync_blocks(timeout=60)
        except AssertionError as e:
            links = [(a, a + 1, self.nodes_connected(a, a + 1)) for a in range(3)]
            raise AssertionError("%s; links still up: %r" % (e, links))
        assert_equal(n3.rpc.getbestblockhash(), fast[-1])
        for n in self.nodes:  # nobody was dropped on the way
            assert n.rpc.getconnectioncount() >= 1
        assert_equal(self.nodes_connected(0, 1) and self.nodes_connected(1, 2) and
                     self.nodes_connected(2, 3), True)


if __name__ == "__main__":
    run(SyncTest)
