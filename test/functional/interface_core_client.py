#!/usr/bin/env python3
"""A client written the way exchanges integrate with Bitcoin Core.

CoreStyleProxy below follows python-bitcoinrpc's AuthServiceProxy (which most exchange
code still copies): one HTTP/1.1 keep-alive connection, Basic auth, JSON-RPC 1.1 bodies
{"version": "1.1", "method", "params": [...], "id": n}, replies read with
json.loads(parse_float=decimal.Decimal) so amounts are exact decimals, and errors raised
as JSONRPCException carrying Core's {"code", "message"} from the HTTP 404/500 body. It
deliberately shares no code with test_framework's JSON-RPC 2.0 proxy.

The flow: credentials (-rpcauth, the cookie, then -rpcuser/-rpcpassword after a
restart), getblockchaininfo, polling getblockcount/getbestblockhash, scanning
getblock verbosity 2 for deposits to a P2WPKH address, getrawtransaction with a block
hash, validateaddress on user input, createrawtransaction/decoderawtransaction/
sendrawtransaction of a signed withdrawal, getrawmempool, waitfornewblock, batches, and
Core's error codes and HTTP statuses."""
import base64
import decimal
import hmac
import http.client
import json
import os
import secrets
import threading
import time

from test_framework.iop_tx import (
    Tx, bech32_segwit_v0, hash160, p2wpkh_address, p2wpkh_script, pubkey, sign_p2wpkh)
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_in

D = decimal.Decimal
COIN = 100000000
SUBSIDY = 10 * COIN  # regtest: 10 IOP, halving every 150 blocks
HOT_KEY, DEPOSIT_KEY = 0x51, 0x52
HOT_ADDR = p2wpkh_address(pubkey(HOT_KEY))
HOT_SPK = p2wpkh_script(pubkey(HOT_KEY))
DEPOSIT_ADDR = p2wpkh_address(pubkey(DEPOSIT_KEY))
DEPOSIT_SPK = p2wpkh_script(pubkey(DEPOSIT_KEY))


class JSONRPCException(Exception):
    """As python-bitcoinrpc: .error is the node's {"code", "message"} object."""

    def __init__(self, rpc_error, http_status=None):
        super().__init__("%(message)s (%(code)s)" % rpc_error)
        self.error = rpc_error
        self.code = rpc_error.get("code")
        self.message = rpc_error.get("message")
        self.http_status = http_status


def encode_decimal(o):
    if isinstance(o, D):
        return float(round(o, 8))
    raise TypeError(repr(o) + " is not JSON serializable")


class CoreStyleProxy:
    """python-bitcoinrpc's AuthServiceProxy, standard library only."""
    USER_AGENT = "AuthServiceProxy/0.1"

    def __init__(self, port, user, password, timeout=60):
        self._auth = b"Basic " + base64.b64encode(("%s:%s" % (user, password)).encode())
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self._id = 0
        self.last_status = None
        self.last_body = None

    def close(self):
        self._conn.close()

    @property
    def sock(self):
        return self._conn.sock

    def _request(self, payload):
        self._conn.request("POST", "/", payload, {
            "Host": "127.0.0.1", "User-Agent": self.USER_AGENT,
            "Authorization": self._auth, "Content-type": "application/json"})
        resp = self._conn.getresponse()
        data = resp.read()
        self.last_status, self.last_body = resp.status, data
        if resp.getheader("Content-Type") != "application/json":
            raise JSONRPCException({"code": -342, "message": "non-JSON HTTP response with '%d %s'"
                                    " from server" % (resp.status, resp.reason)}, resp.status)
        assert resp.getheader("Connection", "keep-alive").lower() != "close", "server closed"
        return resp.status, json.loads(data.decode("utf8"), parse_float=D)

    def call(self, method, *args):
        self._id += 1
        payload = json.dumps({"version": "1.1", "method": method, "params": list(args),
                              "id": self._id}, default=encode_decimal)
        status, reply = self._request(payload)
        if reply.get("id") != self._id:
            raise JSONRPCException({"code": -344, "message": "id mismatch"}, status)
        if reply.get("error") is not None:
            raise JSONRPCException(reply["error"], status)
        if "result" not in reply:
            raise JSONRPCException({"code": -343, "message": "missing JSON-RPC result"}, status)
        assert_equal(status, 200)
        return reply["result"]

    def batch_(self, calls):
        """calls: [(method, [params])]; returns the list of results, raising on the
        first error as python-bitcoinrpc does."""
        reqs = []
        for method, params in calls:
            self._id += 1
            reqs.append({"version": "1.1", "method": method, "params": params, "id": self._id})
        status, replies = self._request(json.dumps(reqs, default=encode_decimal))
        assert_equal(status, 200)
        results = []
        for req, reply in zip(reqs, replies):
            assert_equal(reply["id"], req["id"])
            if reply.get("error") is not None:
                raise JSONRPCException(reply["error"], status)
            results.append(reply["result"])
        return results

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args: self.call(name, *args)


def assert_core_error(code, message, http_status, fn, *args):
    try:
        fn(*args)
    except JSONRPCException as e:
        assert_equal(e.code, code)
        assert message in e.message, "%r not in %r" % (message, e.message)
        assert_equal(e.http_status, http_status)
        return e
    raise AssertionError("no error from %r" % (args,))


def assert_amount(value, text):
    """value must be the exact Decimal of text, with 8 decimal places as Core prints."""
    assert isinstance(value, D), "%r is not a Decimal" % (value,)
    assert_equal(str(value), text)


def rpcauth_line(user, password):
    salt = secrets.token_hex(16)
    return "%s:%s$%s" % (user, salt, hmac.new(salt.encode(), password.encode(), "sha256").hexdigest())


class CoreClientTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-rpcauth=" + rpcauth_line("exchange", "s3cret")]]

    def run_test(self):
        node = self.nodes[0]
        rpc = CoreStyleProxy(node.rpc_port, "exchange", "s3cret")

        self.log("credentials: -rpcauth user and the cookie")
        with open(os.path.join(node.chaindir, ".cookie")) as f:
            cuser, _, cpass = f.read().strip().partition(":")
        cookie_rpc = CoreStyleProxy(node.rpc_port, cuser, cpass)
        assert_equal(cookie_rpc.getblockcount(), 0)
        cookie_rpc.close()
        bad = CoreStyleProxy(node.rpc_port, "exchange", "wrong")
        try:
            bad.getblockcount()
            raise AssertionError("wrong password accepted")
        except JSONRPCException as e:
            assert_equal((e.code, e.http_status), (-342, 401))
        bad.close()

        self.log("getblockchaininfo")
        info = rpc.getblockchaininfo()
        info_body = rpc.last_body
        assert_equal(info["chain"], "regtest")
        assert_equal(info["blocks"], 0)
        assert_equal(info["bestblockhash"], rpc.getbestblockhash())
        assert isinstance(info["initialblockdownload"], bool)
        assert isinstance(info["verificationprogress"], (D, int))
        for key in ("headers", "difficulty", "time", "mediantime", "chainwork", "size_on_disk",
                    "pruned", "warnings"):
            assert_in(key, info)
        # Core prints doubles with 16 significant digits (UniValue::setFloat).
        assert_in(b'"difficulty":4.656542373906925e-10', info_body)
        assert_equal(set(json.loads(info_body)), {"result", "error", "id"})

        self.log("mine to the hot wallet; one keep-alive connection throughout")
        sock = rpc.sock
        hashes = rpc.generatetoaddress(101, HOT_ADDR)
        assert_equal(len(hashes), 101)
        assert rpc.sock is sock, "connection was not kept alive"
        assert_equal(rpc.getblockcount(), 101)
        assert_equal(rpc.getbestblockhash(), hashes[-1])
        assert_equal(rpc.getblockhash(1), hashes[0])

        self.log("getblock verbosity 2: amounts are exact 8-decimal numbers")
        blk1 = rpc.getblock(hashes[0], 2)
        assert_equal(blk1["height"], 1)
        assert_equal(blk1["confirmations"], 101)
        cb = blk1["tx"][0]
        assert "coinbase" in cb["vin"][0]
        assert_amount(cb["vout"][0]["value"], "10.00000000")
        assert_in(b'"value":10.00000000', rpc.last_body.replace(b" ", b""))
        assert_equal(cb["vout"][0]["scriptPubKey"]["address"], HOT_ADDR)
        assert_equal(cb["vout"][0]["scriptPubKey"]["type"], "witness_v0_keyhash")
        assert_equal(cb["vout"][0]["scriptPubKey"]["hex"], HOT_SPK.hex())
        assert_equal(rpc.getblock(hashes[0], 1)["tx"][0], cb["txid"])
        assert_equal(rpc.getblock(hashes[0], 0), rpc.getblock(hashes[0], False))

        self.log("validateaddress on user input")
        v = rpc.validateaddress(DEPOSIT_ADDR)
        assert_equal(v["isvalid"], True)
        assert_equal(v["address"], DEPOSIT_ADDR)
        assert_equal(v["scriptPubKey"], DEPOSIT_SPK.hex())
        assert_equal((v["isscript"], v["iswitness"], v["witness_version"]), (False, True, 0))
        assert_equal(v["witness_program"], hash160(pubkey(DEPOSIT_KEY)).hex())
        assert_equal(rpc.validateaddress(DEPOSIT_ADDR.upper())["isvalid"], True)
        for user_input in ("", "hello", DEPOSIT_ADDR[:-1] + ("q" if DEPOSIT_ADDR[-1] != "q" else "p"),
                           bech32_segwit_v0("iop", hash160(pubkey(DEPOSIT_KEY))),  # mainnet
                           bech32_segwit_v0("tiop", hash160(pubkey(DEPOSIT_KEY)))):  # testnet
            v = rpc.validateaddress(user_input)
            assert_equal(v["isvalid"], False)
            assert isinstance(v.get("error"), str) and v["error"], v

        self.log("a withdrawal: createrawtransaction, sign, decoderawtransaction")
        prev_txid = cb["txid"]
        amount, fee = 123456789, 1410
        change = SUBSIDY - amount - fee
        raw = rpc.createrawtransaction([{"txid": prev_txid, "vout": 0, "sequence": 0xfffffffd}],
                                       [{DEPOSIT_ADDR: D("1.23456789")},
                                        {HOT_ADDR: D(change) / COIN}])
        tx = Tx([(bytes.fromhex(prev_txid)[::-1], 0, 0xfffffffd)],
                [(amount, DEPOSIT_SPK), (change, HOT_SPK)])
        assert_equal(raw, tx.serialize(False).hex())
        sign_p2wpkh(tx, 0, HOT_KEY, SUBSIDY)
        dec = rpc.decoderawtransaction(tx.hex())
        assert_equal(dec["txid"], tx.txid())
        assert_amount(dec["vout"][0]["value"], "1.23456789")
        assert_amount(dec["vout"][1]["value"], "8.76541801")
        assert_equal(dec["vout"][0]["scriptPubKey"]["address"], DEPOSIT_ADDR)
        assert_equal(dec["vin"][0]["txid"], prev_txid)

        self.log("sendrawtransaction and getrawmempool")
        txid = rpc.sendrawtransaction(tx.hex())
        assert_equal(txid, tx.txid())
        assert_equal(rpc.getrawmempool(), [txid])
        entry = rpc.getrawmempool(True)[txid]
        assert_amount(entry["fees"]["base"], "0.00001410")
        assert_in(b'"base":0.00001410', rpc.last_body.replace(b" ", b""))
        try:
            mp = rpc.getrawtransaction(txid, True)
            have_getrawtransaction = True
        except JSONRPCException as e:
            assert_equal((e.code, e.http_status), (-32601, 404))
            have_getrawtransaction = False
        if have_getrawtransaction:
            assert_equal(mp["txid"], txid)
            assert "blockhash" not in mp

        self.log("waitfornewblock wakes up when the block arrives; polling sees it")
        waiter = CoreStyleProxy(node.rpc_port, "exchange", "s3cret")
        got = {}
        t = threading.Thread(target=lambda: got.update(waiter.waitfornewblock(20000)))
        t.start()
        best = rpc.getbestblockhash()
        # Mine only once the wait is running (getrpcinfo lists it, as in Core).
        deadline = time.time() + 10
        while not any(c["method"] == "waitfornewblock"
                      for c in rpc.getrpcinfo()["active_commands"]):
            assert time.time() < deadline, "waitfornewblock never started"
            time.sleep(0.02)
        new_hash = rpc.generatetoaddress(1, HOT_ADDR)[0]
        t.join(20)
        assert not t.is_alive()
        waiter.close()
        assert_equal(got, {"hash": new_hash, "height": 102})
        assert rpc.getbestblockhash() != best
        assert_equal(rpc.getblockcount(), 102)
        assert_equal(rpc.getrawmempool(), [])

        self.log("scan the new block for deposits")
        blk = rpc.getblock(new_hash, 2)
        deposits = [(t["txid"], o["n"], o["value"]) for t in blk["tx"] for o in t["vout"]
                    if o["scriptPubKey"].get("address") == DEPOSIT_ADDR]
        assert_equal(deposits, [(txid, 0, D("1.23456789"))])
        wtx = [t for t in blk["tx"] if t["txid"] == txid][0]
        if "fee" in wtx:  # Core adds it when the block's undo data is readable
            assert_amount(wtx["fee"], "0.00001410")
        assert_amount(blk["tx"][0]["vout"][0]["value"], "10.00001410")

        out = rpc.gettxout(txid, 0)
        assert_equal(out["bestblock"], new_hash)
        assert_equal(out["confirmations"], 1)
        assert_amount(out["value"], "1.23456789")
        assert_equal(out["scriptPubKey"]["address"], DEPOSIT_ADDR)
        assert_equal(out["coinbase"], False)
        assert_equal(rpc.gettxout(prev_txid, 0), None)  # spent by the withdrawal

        if have_getrawtransaction:
            self.log("getrawtransaction with a block hash")
            gt = rpc.getrawtransaction(txid, True, new_hash)
            assert_equal(gt["blockhash"], new_hash)
            assert_equal(gt["confirmations"], 1)
            assert_equal(gt["in_active_chain"], True)
            assert_amount(gt["vout"][0]["value"], "1.23456789")
            assert_equal(rpc.getrawtransaction(txid, False, new_hash), tx.hex())
            assert_core_error(-5, "No such transaction found in the provided block", 500,
                              rpc.getrawtransaction, txid, True, hashes[0])
            assert_core_error(-5, "No such mempool transaction", 500, rpc.getrawtransaction, txid)
        else:
            self.log("getrawtransaction: not served by this node yet, skipped")

        self.log("errors: HTTP 404 for an unknown method, 500 with Core's codes otherwise")
        assert_core_error(-32601, "Method not found", 404, rpc.getnewaddresss)
        assert_equal(json.loads(rpc.last_body)["result"], None)
        assert_core_error(-8, "Block height out of range", 500, rpc.getblockhash, 1000)
        assert_core_error(-5, "Block not found", 500, rpc.getblock, "00" * 32)
        assert_core_error(-3, "", 500, rpc.getblockhash, "one")
        assert_core_error(-5, "Invalid address", 500, rpc.generatetoaddress, 1,
                          bech32_segwit_v0("iop", hash160(pubkey(DEPOSIT_KEY))))
        assert_core_error(-22, "TX decode failed", 500, rpc.sendrawtransaction, "00")
        assert_core_error(-22, "TX decode failed", 500, rpc.decoderawtransaction, "zz")
        assert_core_error(-27, "Transaction outputs already in utxo set", 500,
                          rpc.sendrawtransaction, tx.hex())
        orphan = Tx([(b"\x11" * 32, 0, 0xfffffffd)], [(amount, DEPOSIT_SPK)])
        sign_p2wpkh(orphan, 0, HOT_KEY, SUBSIDY)
        assert_core_error(-25, "bad-txns-inputs-missingorspent", 500, rpc.sendrawtransaction,
                          orphan.hex())
        assert_equal(rpc.getblockcount(), 102)  # the connection survives errors
        assert rpc.sock is sock

        self.log("batches: results in order, errors per entry")
        assert_equal(rpc.batch_([("getblockcount", []), ("getblockhash", [102]),
                                 ("getrawmempool", [])]), [102, new_hash, []])
        try:
            rpc.batch_([("getblockcount", []), ("nosuchmethod", [])])
            raise AssertionError("batch error not raised")
        except JSONRPCException as e:
            assert_equal(e.code, -32601)
            assert_equal(e.http_status, 200)
        replies = json.loads(rpc.last_body, parse_float=D)
        assert_equal(replies[0]["result"], 102)
        assert_equal(replies[0]["error"], None)
        assert_equal(replies[1]["result"], None)
        assert_equal(replies[1]["error"], {"code": -32601, "message": "Method not found"})
        rpc.close()

        self.log("restart with -rpcuser/-rpcpassword: no cookie, chain kept")
        node.stop()
        node.rpc_user, node.rpc_password = "olduser", "oldpw"
        node.start(["-rpcuser=olduser", "-rpcpassword=oldpw"])
        assert not os.path.exists(os.path.join(node.chaindir, ".cookie"))
        rpc = CoreStyleProxy(node.rpc_port, "olduser", "oldpw")
        assert_equal(rpc.getblockcount(), 102)
        assert_equal(rpc.getbestblockhash(), new_hash)
        rpc.close()


if __name__ == "__main__":
    run(CoreClientTest)
