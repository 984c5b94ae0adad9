#!/usr/bin/env bash
# Configures and builds iopd in a build directory (default _build) next to the sources.
# Usage: contrib/build.sh [BUILD_DIR [configure args...]]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-_build}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
  ./autogen.sh >/dev/null
fi
mkdir -p "$dir"
cd "$dir"
# Reconfigure when the arguments change, so one directory never mixes flag sets.
stamp="configure args: $*"
if [ ! -f Makefile ] || [ "$(cat .iop-configure-args 2>/dev/null)" != "$stamp" ]; then
  "$top/configure" -q "$@"
  echo "$stamp" > .iop-configure-args
fi
make -s -j"$jobs"
