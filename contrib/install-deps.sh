#!/usr/bin/env bash
# Installs the Debian packages iopd needs to build and test. Idempotent: when every
# package is already present it does not touch apt at all.
set -euo pipefail

packages=(
  build-essential autoconf automake pkg-config
  libsecp256k1-dev libleveldb-dev libevent-dev libssl-dev libjansson-dev
  libsqlite3-dev libprotobuf-c-dev protobuf-c-compiler libcmocka-dev
  clang libclang-rt-14-dev   # libFuzzer for test/fuzz
  python3                    # functional tests (standard library only)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
