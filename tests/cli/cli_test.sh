#!/usr/bin/env bash
# The tessera command line: help, version, info, exit codes, bench output.
set -u
tessera=$1
failures=0
check() {  # description, expected exit code, command...
  local what=$1 want=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, expected $want"; echo "$out" | head -5; failures=$((failures + 1))
  fi
  LAST_OUTPUT=$out
}
expect_text() {  # description, pattern
  if ! grep -Eq -- "$2" <<<"$LAST_OUTPUT"; then
    echo "FAIL: $1: output lacks /$2/"; echo "$LAST_OUTPUT" | head -5; failures=$((failures + 1))
  fi
}

check "--help" 0 "$tessera" --help;           expect_text "--help" "info"
check "--version" 0 "$tessera" --version;     expect_text "--version" "^tessera [0-9]+\.[0-9]+\.[0-9]+"
for sub in info demo "bench" "bench tasks"; do
  check "$sub --help" 0 "$tessera" $sub --help; expect_text "$sub --help" "Usage|usage"
done
check "no subcommand" 2 "$tessera"
check "unknown flag" 2 "$tessera" --frobnicate info; expect_text "unknown flag" "frobnicate"
check "unknown subcommand flag" 2 "$tessera" demo --nope
check "bad value" 2 "$tessera" bench tasks --shape star; expect_text "bad value" "star"
check "bad threads" 2 "$tessera" --threads 0 info

check "info" 0 "$tessera" --threads 3 info
for field in "threads: 3" "mpi: .*MPI" "hdf5: [0-9]" "eigen: [0-9]" "boost: [0-9]" "GNU|Clang"; do
  expect_text "info" "$field"
done

for shape in map chain tree; do
  for scheduler in sync threads; do
    check "bench $shape $scheduler" 0 "$tessera" bench tasks --shape $shape --n 2001 --scheduler $scheduler --repeat 1
    last=$(tail -n 1 <<<"$LAST_OUTPUT")
    LAST_OUTPUT=$last
    expect_text "bench $shape $scheduler" "^shape=$shape n=[0-9]+ ranks=1 threads=[0-9]+ build_us_per_task=[0-9.]+ us_per_task=[0-9.]+$"
  done
done

check "bench futures" 0 "$tessera" bench futures --n 300
LAST_OUTPUT=$(tail -n 1 <<<"$LAST_OUTPUT")
expect_text "bench futures" "^futures n=300 ranks=1 submit_us_per_task=[0-9.]+ us_per_task=[0-9.]+$"
check "bench transfer on one rank" 0 "$tessera" bench transfer --bytes 64KiB --repeat 2
LAST_OUTPUT=$(tail -n 1 <<<"$LAST_OUTPUT")
expect_text "bench transfer" "^bytes=65536 MB_per_s=[0-9.]+$"
check "bench transfer bad size" 2 "$tessera" bench transfer --bytes 12parsecs
expect_text "bench transfer bad size" "is not a size"

check "demo draws its graph" 0 "$tessera" demo --files 3 --rows 10 --visualize "${TMPDIR:-/tmp}/tessera-cli-demo.dot"
expect_text "demo" "count=30 "
grep -q "summarize" "${TMPDIR:-/tmp}/tessera-cli-demo.dot" || { echo "FAIL: demo graph lacks summarize"; failures=$((failures + 1)); }
rm -f "${TMPDIR:-/tmp}/tessera-cli-demo.dot"

if [ "$failures" -ne 0 ]; then echo "$failures CLI check(s) failed"; exit 1; fi
echo "all CLI checks passed"
