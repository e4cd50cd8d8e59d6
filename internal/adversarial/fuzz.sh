#!/usr/bin/env bash
# Runs every fuzz target of the repository for a bounded time each.
#
#   internal/adversarial/fuzz.sh            # 10s per target
#   FUZZTIME=1m internal/adversarial/fuzz.sh
#   internal/adversarial/fuzz.sh ./host/... # only the targets under ./host
#
# The targets are found by their declarations (func FuzzX(f *testing.F)) in
# the _test.go files, so a new target is picked up without editing this file.
# A failure is reported with the input go test saved under testdata/fuzz; the
# script runs the remaining targets and exits non-zero at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
fuzztime="${FUZZTIME:-10s}"
scope="${1:-./...}"
scope="${scope#./}"
scope="${scope%...}"
scope="${scope%/}"

failed=()
count=0
while IFS=: read -r file name; do
  dir="./$(dirname "$file")"
  count=$((count + 1))
  echo "--- $name in $dir ($fuzztime)"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir"; then
    failed+=("$name in $dir")
  fi
done < <(grep -rHoE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git \
  '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' "${scope:-.}" |
  sed -E 's/:func (Fuzz[A-Za-z0-9_]+).*/:\1/; s#^\./##' | sort)

echo "--- ran $count fuzz targets for $fuzztime each"
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
