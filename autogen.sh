#!/bin/sh
# Generate configure and the Makefile.in files from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux/m4
autoreconf --install --force --warnings=all
