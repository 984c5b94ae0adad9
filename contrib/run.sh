#!/usr/bin/env bash
# Installs what is missing, builds iopd, and shows what this version can do.
#
# Today iopd is its consensus library: transactions, blocks, the full script
# interpreter, signature hashes, addresses and keys, checked against Bitcoin's
# published vectors and real mainnet blocks. The regtest node, its RPC and its
# services come with the next issues; when src/iopd can run a node, this script
# starts one on regtest and prints how to talk to it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

contrib/install-deps.sh
contrib/build.sh _build
echo
echo "Built: $top/_build/src/iopd, $top/_build/src/iop-cli, $top/_build/bench/bench_iop, $top/_build/bench/bench_block"
_build/src/iopd -version

if _build/src/iopd -regtest -version >/dev/null 2>&1 && _build/src/iopd -help 2>&1 | grep -q -- '-daemon'; then
  datadir=${IOP_DATADIR:-$top/_build/regtest-data}
  mkdir -p "$datadir"
  _build/src/iopd -regtest -datadir="$datadir" -daemon
  echo "A regtest node runs with data in $datadir. Try:"
  echo "  _build/src/iop-cli -regtest -datadir=$datadir getblockchaininfo"
  echo "Stop it with: _build/src/iop-cli -regtest -datadir=$datadir stop"
  exit 0
fi

cat <<TXT

The node itself is not built yet (see README.md, "Status"). What you can run now:

  # check a serialized block (raw bytes or hex) context-free and time it
  _build/bench/bench_block BLOCKFILE

  # hashing, transaction parsing and signature verification figures
  _build/bench/bench_iop

Here is bench_block on a real Bitcoin block taken from the test vectors:
TXT
vectors=${IOP_VECTORS_DIR:-$top/../shared/vectors}
dat=$vectors/mainnet/blocks-1-255.dat
if [ -f "$dat" ]; then
  block=$(mktemp)
  # The first record of the file: 4-byte magic, 4-byte little-endian length, block.
  len=$(od -An -tu4 -j4 -N4 "$dat" | tr -d ' ')
  tail -c +9 "$dat" | head -c "$len" > "$block"
  _build/bench/bench_block "$block" || true
  rm -f "$block"
else
  echo "  (no vectors at $dat; set IOP_VECTORS_DIR)"
fi
