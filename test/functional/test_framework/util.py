"""Small helpers for functional tests."""
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
