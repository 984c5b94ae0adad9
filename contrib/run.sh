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
echo "Built: $top/_build/src/iopd, iop-cli, iop-service and the programs in $top/_build/bench"
_build/src/iopd -version

datadir=${IOP_DATADIR:-$top/_build/regtest-data}
mkdir -p "$datadir"
cli=(_build/src/iop-cli -regtest -datadir="$datadir")

if "${cli[@]}" uptime >/dev/null 2>&1; then
  echo "A regtest node already runs with data in $datadir."
else
  # P2P and the profile service listen on loopback only in this demo.
  _build/src/iopd -regtest -daemon -datadir="$datadir" -bind=127.0.0.1 \
    -profile=1 -profilebind=127.0.0.1 -fallbackfee=0.0002
  "${cli[@]}" -rpcwait -rpcwaittimeout=30 uptime >/dev/null
  echo "Started a regtest node in the background, data in $datadir (log: $datadir/regtest/debug.log)."
fi

show() {
  echo
  echo "\$ _build/src/iop-cli -regtest -datadir=$datadir $*"
  "${cli[@]}" "$@" || true
}
show -getinfo
show getnetworkinfo
show getprofileserverinfo
if ! "${cli[@]}" listwallets | grep -q '"demo"'; then
  "${cli[@]}" loadwallet demo >/dev/null 2>&1 || "${cli[@]}" createwallet demo >/dev/null
fi
addr=$("${cli[@]}" -rpcwallet=demo getnewaddress)
echo
echo "\$ _build/src/iop-cli -regtest -datadir=$datadir generatetoaddress 101 $addr"
"${cli[@]}" generatetoaddress 101 "$addr" | tail -n 2
show -rpcwallet=demo getbalances
profport=$("${cli[@]}" getprofileserverinfo | sed -n 's/.*"port": \([0-9]*\).*/\1/p')
echo
echo "\$ _build/src/iop-service -connect=127.0.0.1:$profport ping"
_build/src/iop-service -connect=127.0.0.1:"$profport" ping || true

cat <<TXT

More to try (doc/rpc.md: JSON-RPC; doc/wallet.md: the wallet; doc/p2p.md: the network;
doc/profile-service.md and doc/iop-service.md: the profile service):

  _build/src/iop-cli -regtest -datadir=$datadir help
  _build/src/iop-cli -regtest -datadir=$datadir -rpcwallet=demo sendtoaddress \$(_build/src/iop-cli -regtest -datadir=$datadir -rpcwallet=demo getnewaddress) 1
  _build/src/iop-service -connect=127.0.0.1:$profport -identity=$datadir/me.key -newidentity profile register --type person
  curl --user "\$(cat $datadir/regtest/.cookie)" \\
       --data-binary '{"jsonrpc":"2.0","id":1,"method":"uptime"}' http://127.0.0.1:18337/

Stop the node with:

  _build/src/iop-cli -regtest -datadir=$datadir stop

Benchmarks: _build/bench/bench_iop, bench_block FILE, bench_rpc, bench_profile, bench_wallet,
and python3 bench/bench_p2p.py --builddir _build (README.md lists what each measures).
TXT
