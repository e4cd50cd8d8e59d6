#!/bin/sh
# Rebuilds the benchmark guests from their WAT sources with wabt's wat2wasm
# (Debian package wabt). Run from any directory.
set -eu
cd "$(dirname "$0")"
for f in *.wat; do
	wat2wasm -o "${f%.wat}.wasm" "$f"
done
