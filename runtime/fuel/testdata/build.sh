#!/bin/sh
# Rebuilds the test modules from their WAT sources with wabt's wat2wasm
# (Debian package wabt, 1.0.32), keeping a names section so that Instrument
# sees custom sections. Run from any directory.
set -eu
cd "$(dirname "$0")"
for f in *.wat; do
	wat2wasm --debug-names -o "${f%.wat}.wasm" "$f"
done
