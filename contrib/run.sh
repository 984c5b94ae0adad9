#!/usr/bin/env bash
# Installs what is missing, builds iopd, starts a regtest node in the background and
# shows how to talk to it with iop-cli.
#
# The node keeps running after this script ends; stop it with the command printed at
# the end. IOP_DATADIR chooses the data directory (default _build/regtest-data).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

contrib/install-deps.sh
contrib/build.sh _build
echo
echo "Built: $top/_build/src/iopd, $top/_build/src/iop-cli, $top/_build/bench/bench_iop, $top/_build/bench/bench_block"
_build/src/iopd -version

datadir=${IOP_DATADIR:-$top/_build/regtest-data}
mkdir -p "$datadir"
cli=(_build/src/iop-cli -regtest -datadir="$datadir")

if "${cli[@]}" uptime >/dev/null 2>&1; then
  echo "A regtest node already runs with data in $datadir."
else
  _build/src/iopd -regtest -daemon -datadir="$datadir"
  "${cli[@]}" -rpcwait -rpcwaittimeout=30 uptime >/dev/null
  echo "Started a regtest node in the background, data in $datadir (log: $datadir/regtest/debug.log)."
fi

show() {
  echo
  echo "\$ _build/src/iop-cli -regtest -datadir=$datadir $*"
  "${cli[@]}" "$@" || true
}
show help
show uptime
show getrpcinfo
show -named help command=uptime
show help stop

cat <<TXT

More to try (doc/rpc.md explains the JSON-RPC interface, doc/running.md the options):

  _build/src/iop-cli -regtest -datadir=$datadir help logging
  curl --user "\$(cat $datadir/regtest/.cookie)" \\
       --data-binary '{"jsonrpc":"2.0","id":1,"method":"uptime"}' http://127.0.0.1:18337/

Stop the node with:

  _build/src/iop-cli -regtest -datadir=$datadir stop

The chain itself (blocks, mempool, mining RPCs) comes with the Chain issue; bench
programs: _build/bench/bench_iop and _build/bench/bench_block FILE.
TXT
