#!/bin/sh
# Rebuilds the hostile modules from their WAT sources (wat2wasm from wabt).
# The generated ones (too large, slow to compile) are built by the tests.
set -e
cd "$(dirname "$0")"
for f in *.wat; do wat2wasm "$f" -o "${f%.wat}.wasm"; done
