"""Small helpers for functional tests."""
import os
import socket
import time


def free_port():
    """A loopback TCP port that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=30, interval=0.05, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s" % what)


def assert_equal(a, b, *more):
    if a != b:
        raise AssertionError("not equal: %r != %r" % (a, b))
    for m in more:
        if a != m:
            raise AssertionError("not equal: %r != %r" % (a, m))


def assert_in(item, container):
    if item not in container:
        raise AssertionError("%r not in %r" % (item, container))


def assert_raises_rpc_error(code, message, fn, *args, **kwargs):
    """Calls fn and checks that it raises JSONRPCException with code and message (a
    substring; None skips the check)."""
    from .authproxy import JSONRPCException
    try:
        fn(*args, **kwargs)
    except JSONRPCException as e:
        if code is not None and e.error["code"] != code:
            raise AssertionError("unexpected error code %r (wanted %r): %s" % (e.error["code"], code, e.error))
        if message is not None and message not in e.error["message"]:
            raise AssertionError("unexpected message %r (wanted %r)" % (e.error["message"], message))
        return e
    raise AssertionError("no exception raised")


def vectors_dir():
    """The shared test vectors: $IOP_VECTORS_DIR, else ../shared/vectors beside the repo."""
    env = os.environ.get("IOP_VECTORS_DIR")
    if env:
        return env
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
    return os.path.normpath(os.path.join(repo, "..", "shared", "vectors"))


# The first 255 blocks of Bitcoin's main chain, in blk*.dat layout (feature_loadblock,
# rpc_blockchain); the chain ends at BTC_TIP_255.
def btc_blocks_file():
    return os.path.join(vectors_dir(), "mainnet", "blocks-1-255.dat")


BTC_TIP_255 = "00000000d0a75c861fabf9ff7b92022f60e4afeed9331fe5aa073d8e4706fe3c"
BTC_GENESIS = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
