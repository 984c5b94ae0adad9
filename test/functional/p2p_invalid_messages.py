#!/usr/bin/env python3
"""Broken and hostile traffic on the P2P port: wrong magic, wrong checksum, a length
over 4,000,000, a truncated payload and a hang-up, an unknown command, frames split
byte by byte or packed together, messages at and just over their size limits (payload,
inv/getdata entries, headers), a block with a bad merkle root and a transaction that
does not deserialize. After each the node still answers RPC and a fresh well-behaved
peer still completes the handshake. Skips until the daemon has its P2P layer."""
import struct
import time

from test_framework.authproxy import JSONRPCException
from test_framework.iop_tx import p2wpkh_address, pubkey
from test_framework.messages import (
    MAGIC_BTC_MAIN, MAGIC_REGTEST, MAX_HEADERS_RESULTS, MAX_INV_SZ, MAX_PROTOCOL_MESSAGE_LENGTH,
    MSG_BLOCK, CBlockHeader, CInv, checksum, create_block, frame_message, from_hex, msg_block,
    msg_getdata, msg_headers, msg_inv, msg_ping, msg_unknown, uint256_from_hex)
from test_framework.p2p import P2PInterface, p2p_lock
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, wait_until


class InvalidMessagesTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.p2p = True

    def check_node_fine(self):
        """The node answers RPC, has dropped the bad peer and takes a fresh handshake."""
        node = self.nodes[0]
        assert_equal(node.rpc.getblockcount(), self.height)
        wait_until(lambda: node.rpc.getconnectioncount() == 0, what="the bad peer gone")
        fresh = node.add_p2p_connection(P2PInterface())
        assert fresh.verack_received
        fresh.peer_disconnect()
        fresh.wait_for_disconnect()
        node.p2ps.remove(fresh)
        wait_until(lambda: node.rpc.getconnectioncount() == 0, what="the fresh peer gone")

    def bad_peer(self):
        return self.nodes[0].add_p2p_connection(P2PInterface())

    def forgive(self):
        """Misbehaviour discourages 127.0.0.1; clear it so later cases start clean."""
        try:
            self.nodes[0].rpc.clearbanned()
        except JSONRPCException as e:
            if e.error.get("code") != -32601:
                raise

    def run_test(self):
        node = self.nodes[0]
        rpc = node.rpc
        rpc.generatetoaddress(3, p2wpkh_address(pubkey(5)))
        self.height = rpc.getblockcount()
        ping = msg_ping(0x1122334455667788).serialize()

        self.log("wrong magic: disconnected")
        peer = self.bad_peer()
        peer.send_raw(frame_message(MAGIC_BTC_MAIN, b"ping", ping))
        peer.wait_for_disconnect()
        self.check_node_fine()

        self.log("wrong checksum: disconnected")
        peer = self.bad_peer()
        bad = bytes(b ^ 0xff for b in checksum(ping))
        peer.send_raw(frame_message(MAGIC_REGTEST, b"ping", ping, csum=bad))
        peer.wait_for_disconnect()
        assert peer.last_message["pong"].nonce != 0x1122334455667788  # never answered
        self.check_node_fine()

        self.log("length 4,000,001 in the header: disconnected before any payload")
        peer = self.bad_peer()
        hdr = frame_message(MAGIC_REGTEST, b"block", b"", length=MAX_PROTOCOL_MESSAGE_LENGTH + 1,
                            csum=b"\x00" * 4)
        assert_equal(len(hdr), 24)
        peer.send_raw(hdr)
        peer.wait_for_disconnect()
        self.check_node_fine()

        self.log("a truncated payload, then the peer hangs up")
        peer = self.bad_peer()
        payload = bytes(range(100))
        frame = frame_message(MAGIC_REGTEST, b"ping", payload)
        peer.send_raw(frame[:24 + 50])
        time.sleep(0.2)  # the node now waits for 50 more bytes
        assert peer.is_connected
        peer.peer_disconnect()
        peer.wait_for_disconnect()
        self.check_node_fine()

        self.log("unknown commands are ignored, the connection stays")
        peer = self.bad_peer()
        peer.send_and_ping(msg_unknown(b"fooxyz", b"some payload"))
        peer.send_and_ping(msg_unknown(b"abcdefghijkl", b""))  # all 12 command bytes used
        assert peer.is_connected
        assert_equal(len(rpc.getpeerinfo()), 1)

        self.log("frames split byte by byte and several frames in one write")
        frame = peer.build_message(msg_ping(0xabcdef))
        with p2p_lock:  # no pong of ours may slip in between the bytes
            for i in range(len(frame)):
                peer.send_raw(frame[i:i + 1])
                if i % 8 == 0:
                    time.sleep(0.001)
        peer.wait_until(lambda: "pong" in peer.last_message and
                        peer.last_message["pong"].nonce == 0xabcdef, what="pong after trickle")
        burst = b"".join(peer.build_message(msg_ping(n)) for n in range(1000, 1010))
        peer.send_raw(burst)
        peer.wait_until(lambda: peer.last_message["pong"].nonce == 1009, what="last burst pong")
        assert peer.message_count["pong"] >= 11
        peer.peer_disconnect()
        peer.wait_for_disconnect()
        node.p2ps.clear()
        self.check_node_fine()

        self.log("size limits: a 4,000,000-byte message and a 50,000-entry inv are fine")
        peer = self.bad_peer()
        peer.send_and_ping(msg_unknown(b"bigjunk", b"\x00" * MAX_PROTOCOL_MESSAGE_LENGTH))
        tip_inv = CInv(MSG_BLOCK, uint256_from_hex(rpc.getbestblockhash()))
        peer.send_and_ping(msg_inv([tip_inv] * MAX_INV_SZ))  # a block it has: nothing to do
        assert peer.is_connected
        self.log("one entry over the inv/getdata limit, or 2,001 headers: misbehaviour")
        peer.send_message(msg_inv([tip_inv] * (MAX_INV_SZ + 1)))
        peer.wait_for_disconnect()
        self.forgive()
        self.check_node_fine()
        peer = self.bad_peer()
        peer.send_message(msg_getdata([tip_inv] * (MAX_INV_SZ + 1)))
        peer.wait_for_disconnect()
        self.forgive()
        self.check_node_fine()
        peer = self.bad_peer()
        chain, prev = [], uint256_from_hex(rpc.getbestblockhash())
        for i in range(MAX_HEADERS_RESULTS + 1):  # linked but never solved: the count fails first
            h = CBlockHeader()
            h.prev, h.time, h.nonce = prev, 1795478600 + i, i
            chain.append(h)
            prev = h.sha256
        peer.send_message(msg_headers(chain))
        peer.wait_for_disconnect()
        assert_equal(rpc.getblockcount(), self.height)
        self.forgive()
        self.check_node_fine()

        self.log("a block with a bad merkle root: disconnected, the tip stays")
        tip_hash = rpc.getbestblockhash()
        tip = from_hex(CBlockHeader(), rpc.getblockheader(tip_hash, False))
        good = create_block(tip_hash, self.height + 1, ntime=tip.time + 1)
        mutated = create_block(tip_hash, self.height + 1, ntime=tip.time + 1, solve=False)
        mutated.merkle_root ^= 1
        mutated.solve()
        assert mutated.check_pow() and not mutated.is_valid_merkle()
        peer = self.bad_peer()
        peer.send_message(msg_block(mutated))
        peer.wait_for_disconnect()
        assert_equal(rpc.getbestblockhash(), tip_hash)
        self.forgive()
        self.check_node_fine()
        # The same block with its real merkle root is fine (a mutated copy must not have
        # marked it invalid).
        peer = self.bad_peer()
        peer.send_and_ping(msg_block(good))
        wait_until(lambda: rpc.getbestblockhash() == good.hash, what="the good block accepted")
        assert peer.is_connected
        self.height += 1
        peer.peer_disconnect()
        peer.wait_for_disconnect()
        node.p2ps.clear()
        self.check_node_fine()

        self.log("a tx message that does not deserialize: disconnected")
        peer = self.bad_peer()
        junk = struct.pack("<i", 2) + b"\x01" + b"\x00" * 20  # one input, cut short
        peer.send_raw(frame_message(MAGIC_REGTEST, b"tx", junk))
        peer.wait_for_disconnect()
        assert_equal(rpc.getrawmempool(), [])
        self.forgive()
        self.check_node_fine()

        self.log("the node is still healthy")
        assert_equal(rpc.getblockcount(), self.height)
        last = node.add_p2p_connection(P2PInterface())
        last.sync_with_ping()
        assert_equal(last.peer_version.start_height, self.height)


if __name__ == "__main__":
    run(InvalidMessagesTest)
