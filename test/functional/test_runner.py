#!/usr/bin/env python3
"""Runs the functional tests and ends with "N passed, N failed[, N skipped]".

Usage: test_runner.py --builddir DIR [-j N] [--timeout S] [test ...]
Each test is a script in this folder run as its own process; its output is shown only
when it fails. Exit code is non-zero if any test failed.
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

BASE_SCRIPTS = [
    # Longest first, so that -j2 finishes sooner.
    "p2p_sync.py",
    "p2p_invalid_messages.py",
    "p2p_tx_relay.py",
    "p2p_handshake.py",
    "p2p_net_rpc.py",
    "p2p_compactblocks.py",
    "p2p_lowwork_headers.py",
    "p2p_stalling.py",
    "p2p_orphans.py",
    "p2p_eviction.py",
    "wallet_send.py",
    "wallet_psbt_misc.py",
    "wallet_importdescriptors.py",
    "wallet_basic.py",
    "rpc_warmup.py",
    "p2p_btc_regtest.py",
    "p2p_addr_relay.py",
    "feature_profile_service.py",
    "tool_iop_service.py",
    "rpc_psbt.py",
    "feature_startup.py",
    "feature_config.py",
    "feature_loadblock.py",
    "rpc_blockchain.py",
    "feature_reorg.py",
    "rpc_auth.py",
    "rpc_jsonrpc.py",
    "rpc_help.py",
    "tool_cli.py",
    "rpc_rawtransaction.py",
    "mining_basic.py",
    "mempool_basic.py",
    "feature_txindex.py",
    "rpc_utxoset.py",
    "rpc_descriptors.py",
    "interface_core_client.py",
    "mining_proposal.py",
    "feature_fee_estimation.py",
]


def run_one(name, builddir, timeout):
    start = time.time()
    try:
        p = subprocess.run([sys.executable, os.path.join(HERE, name), "--builddir", builddir],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        rc, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        rc = 1
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        out += "\ntimed out after %ds" % timeout
    return name, rc, out, time.time() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--builddir", required=True)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("tests", nargs="*")
    opts = parser.parse_args()
    builddir = os.path.abspath(opts.builddir)
    tests = opts.tests or BASE_SCRIPTS
    tests = [os.path.basename(t) if t.endswith(".py") else os.path.basename(t) + ".py" for t in tests]
    for t in tests:
        if not os.path.exists(os.path.join(HERE, t)):
            print("unknown test %s" % t)
            print("0 passed, 1 failed")
            return 1
    passed = failed = skipped = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        futures = [pool.submit(run_one, t, builddir, opts.timeout) for t in tests]
        for fut in concurrent.futures.as_completed(futures):
            name, rc, out, secs = fut.result()
            if rc == 0:
                passed += 1
                print("  ok   %s (%.1fs)" % (name, secs), flush=True)
            elif rc == 77:
                skipped += 1
                print("  skip %s" % name, flush=True)
            else:
                failed += 1
                print("  FAIL %s (exit %d, %.1fs)" % (name, rc, secs), flush=True)
                for line in out.splitlines()[-80:]:
                    print("      " + line)
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
