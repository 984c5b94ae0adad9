#!/usr/bin/env python3
"""Output descriptor RPCs on a regtest chain: getdescriptorinfo, deriveaddresses over a
range of an xpub (checked against BIP32 public derivation done here), generatetodescriptor
to wpkh() of a fixed key, and scantxoutset finding those coinbase outputs."""
import hashlib
import hmac

from test_framework.iop_tx import (
    G, hash160, p2wpkh_address, point_add, point_mul, pubkey, ser_compressed)
from test_framework.test_framework import IopTestFramework, run
from test_framework.util import assert_equal, assert_raises_rpc_error

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
XPUB_VERSION = 0xBB8F4852  # regtest
CHAIN = bytes(range(32))
MASTER = 7
PUB = pubkey(1)


def b58check(payload):
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, "big")
    s = ""
    while n:
        n, r = divmod(n, 58)
        s = B58[r] + s
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + s


def decompress(pub):
    p = 2**256 - 2**32 - 977
    x = int.from_bytes(pub[1:], "big")
    y = pow((x * x * x + 7) % p, (p + 1) // 4, p)
    if (y & 1) != (pub[0] & 1):
        y = p - y
    return (x, y)


def ckd_pub(pub, chain, i):
    I = hmac.new(chain, pub + i.to_bytes(4, "big"), hashlib.sha512).digest()
    pt = point_add(point_mul(G, int.from_bytes(I[:32], "big")), decompress(pub))
    return ser_compressed(pt), I[32:]


class DescriptorsTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        rpc = self.nodes[0].rpc
        mpub = pubkey(MASTER)
        xpub = b58check(XPUB_VERSION.to_bytes(4, "big") + bytes(9) + CHAIN + mpub)

        self.log("getdescriptorinfo")
        info = rpc.getdescriptorinfo("wpkh(%s)" % PUB.hex())
        assert_equal(info["descriptor"], "wpkh(%s)#%s" % (PUB.hex(), info["checksum"]))
        assert_equal(info["isrange"], False)
        assert_equal(info["issolvable"], True)
        assert_equal(info["hasprivatekeys"], False)
        info = rpc.getdescriptorinfo("pkh([deadbeef/1h]%s/0/*)" % xpub)
        assert_equal(info["isrange"], True)
        assert_equal(info["descriptor"].split("#")[0], "pkh([deadbeef/1h]%s/0/*)" % xpub)
        assert_equal(rpc.getdescriptorinfo("raw(deadbeef)")["checksum"], "89f8spxm")
        assert_equal(rpc.getdescriptorinfo("raw(deadbeef)")["issolvable"], False)
        assert_raises_rpc_error(-5, "does not match computed checksum",
                                rpc.getdescriptorinfo, "raw(deadbeef)#00000000")
        assert_raises_rpc_error(-5, "is not a valid descriptor function",
                                rpc.getdescriptorinfo, "foo(00)")

        self.log("deriveaddresses")
        ranged = rpc.getdescriptorinfo("wpkh(%s/0/*)" % xpub)["descriptor"]
        c0, cc0 = ckd_pub(mpub, CHAIN, 0)
        want = [p2wpkh_address(ckd_pub(c0, cc0, i)[0]) for i in range(5)]
        assert_equal(rpc.deriveaddresses(ranged, [0, 4]), want)
        assert_equal(rpc.deriveaddresses(ranged, 2), want[:3])
        assert_equal(rpc.deriveaddresses(ranged, [3, 4]), want[3:])
        fixed = rpc.getdescriptorinfo("wpkh(%s)" % PUB.hex())["descriptor"]
        assert_equal(rpc.deriveaddresses(fixed), [p2wpkh_address(PUB)])
        assert_raises_rpc_error(-8, "Range should not be specified for an un-ranged descriptor",
                                rpc.deriveaddresses, fixed, 3)
        assert_raises_rpc_error(-8, "Range must be specified for a ranged descriptor",
                                rpc.deriveaddresses, ranged)
        assert_raises_rpc_error(-8, "Range specified as [begin,end] must not have begin after end",
                                rpc.deriveaddresses, ranged, [2, 1])
        assert_raises_rpc_error(-5, "Missing checksum", rpc.deriveaddresses, "wpkh(%s)" % PUB.hex())
        raw = rpc.getdescriptorinfo("raw(6a)")["descriptor"]
        assert_raises_rpc_error(-5, "Descriptor does not have a corresponding address",
                                rpc.deriveaddresses, raw)

        self.log("generatetodescriptor and scantxoutset")
        hashes = rpc.generatetodescriptor(3, "wpkh(%s)" % PUB.hex())
        assert_equal(len(hashes), 3)
        spk = "0014" + hash160(PUB).hex()
        for h in hashes:
            cb = rpc.getblock(h, 2)["tx"][0]
            assert_equal(cb["vout"][0]["scriptPubKey"]["hex"], spk)
        assert_raises_rpc_error(-8, "Ranged descriptor not accepted", rpc.generatetodescriptor,
                                1, ranged)
        assert_raises_rpc_error(-5, "is not a valid descriptor function",
                                rpc.generatetodescriptor, 1, "foo()")
        res = rpc.scantxoutset("start", ["addr(%s)" % rpc.deriveaddresses(fixed)[0]])
        assert_equal(sorted(u["blockhash"] for u in res["unspents"]), sorted(hashes))
        assert all(u["coinbase"] and u["scriptPubKey"] == spk for u in res["unspents"])


if __name__ == "__main__":
    run(DescriptorsTest)
