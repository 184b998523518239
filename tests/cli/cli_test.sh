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
check "unknown command" 2 "$tessera" frobnicate; expect_text "unknown command" "^tessera: unknown command 'frobnicate'$"
check "unknown command after options" 2 "$tessera" --threads 2 frobnicate
expect_text "unknown command after options" "unknown command 'frobnicate'"
check "unknown bench command" 2 "$tessera" bench frobnicate; expect_text "unknown bench command" "unknown command 'bench frobnicate'"
check "unknown flag" 2 "$tessera" --frobnicate info; expect_text "unknown flag" "frobnicate"
check "unknown subcommand flag" 2 "$tessera" demo --nope
check "bad value" 2 "$tessera" bench tasks --shape star; expect_text "bad value" "star"
check "bad threads" 2 "$tessera" --threads 0 info

check "info" 0 "$tessera" --threads 3 info
for field in "threads: 3" "mpi: .*MPI" "hdf5: [0-9]" "eigen: [0-9]" "boost: [0-9]" "GNU|Clang"; do
  expect_text "info" "$field"
done

# Global options go before or after the command.
check "threads after the command" 0 "$tessera" info --threads 3; expect_text "threads after the command" "threads: 3"
check "memory limit after the command" 0 "$tessera" info --memory-limit 3GiB
expect_text "memory limit after the command" "memory_limit=3.0 GiB"
check "global options after demo" 0 "$tessera" demo --threads 2 --no-progress --memory-limit 1GiB --files 2 --rows 3
expect_text "global options after demo" "count=6 "
check "threads after bench tasks" 0 "$tessera" bench tasks --shape map --n 100 --repeat 1 --threads 1
expect_text "threads after bench tasks" "threads=1 "

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
# On one rank there is nobody to transfer to: an error, not a timing of a copy.
check "bench transfer on one rank" 2 "$tessera" bench transfer --bytes 64KiB --repeat 2
expect_text "bench transfer on one rank" "bench transfer needs two ranks.*mpiexec -n 2"
check "bench transfer bad size" 2 "$tessera" bench transfer --bytes 12parsecs
expect_text "bench transfer bad size" "is not a size"

check "demo draws its graph" 0 "$tessera" demo --files 3 --rows 10 --visualize "${TMPDIR:-/tmp}/tessera-cli-demo.dot"
expect_text "demo" "count=30 "
grep -q "summarize" "${TMPDIR:-/tmp}/tessera-cli-demo.dot" || { echo "FAIL: demo graph lacks summarize"; failures=$((failures + 1)); }
rm -f "${TMPDIR:-/tmp}/tessera-cli-demo.dot"
demo_dirs_left() { ls -d "$(dirname "$(mktemp -u)")"/tessera-demo-* 2>/dev/null; }
check "demo draws into a missing directory" 2 "$tessera" demo --files 2 --rows 3 --visualize /no/such/dir/graph.svg
expect_text "demo draws into a missing directory" "the directory /no/such/dir does not exist"
# A drawing that fails once the files are written (a directory where the file should go): they go all the same.
check "demo whose drawing fails" 1 "$tessera" demo --files 2 --rows 3 --visualize "$(dirname "$(mktemp -u)")"
expect_text "demo whose drawing fails" "error: .*graph"
[ -z "$(demo_dirs_left)" ] || { echo "FAIL: the demo left $(demo_dirs_left)"; failures=$((failures + 1)); }

# Memory and progress options.
check "info shows the memory limit" 0 "$tessera" --memory-limit 3GiB info
expect_text "info shows the memory limit" "memory_limit=3.0 GiB spill_above=1.8 GiB"
check "bad memory limit" 2 "$tessera" --memory-limit lots info; expect_text "bad memory limit" "lots"
# A fraction of RAM is a percentage; a bare number is bytes; 0.5 or 1.0 is neither, and says so.
for bad in 0.5 1.0 1.5 "12 apples" 150%; do
  check "memory limit $bad" 2 "$tessera" --memory-limit "$bad" info
  expect_text "memory limit $bad" "memory limit '$bad' .*512MiB.*50%"
done
check "memory limit as a percentage" 0 "$tessera" --memory-limit 50% info
expect_text "memory limit as a percentage" "memory_limit=[0-9.]+ GiB"
check "memory limit in bytes" 0 "$tessera" --memory-limit 1048576 info; expect_text "memory limit in bytes" "memory_limit=1.0 MiB"
check "TESSERA_MEMORY_LIMIT follows the same rules" 1 env TESSERA_MEMORY_LIMIT=0.5 "$tessera" info
expect_text "TESSERA_MEMORY_LIMIT follows the same rules" "TESSERA_MEMORY_LIMIT: memory limit '0.5' .*50%"
check "bench spill memory limit" 2 "$tessera" bench spill --total 4MiB --chunk 1MiB --memory-limit 0.5
expect_text "bench spill memory limit" "memory limit '0.5'"
check "progress and no progress" 2 "$tessera" --progress --no-progress info
spill_dir="${TMPDIR:-/tmp}/tessera-cli-spill"
rm -rf "$spill_dir"
check "bench spill" 0 "$tessera" --no-progress --spill-dir "$spill_dir" bench spill --total 8MiB --chunk 1MiB --memory-limit 2MiB
LAST_OUTPUT=$(tail -n 1 <<<"$LAST_OUTPUT")
expect_text "bench spill" "^total_bytes=8388608 spilled_bytes=[1-9][0-9]* seconds=[0-9.]+ peak_tracked_bytes=[0-9]+ checksum=0\.28[0-9]+$"
[ -z "$(ls -A "$spill_dir" 2>/dev/null)" ] || { echo "FAIL: bench spill left $(ls -A "$spill_dir")"; failures=$((failures + 1)); }
check "spill dir below a file" 1 "$tessera" --no-progress --spill-dir /etc/hostname/spill bench spill --total 4MiB --chunk 1MiB --memory-limit 1MiB
expect_text "spill dir below a file" "error.*/etc/hostname.*rank 0"
[ "$(grep "error" <<<"$LAST_OUTPUT" | grep -o "rank" | wc -l)" = 1 ] || { echo "FAIL: the error names its rank more than once: $LAST_OUTPUT"; failures=$((failures + 1)); }
check "spill dir after the command" 1 "$tessera" bench spill --total 4MiB --chunk 1MiB --memory-limit 1MiB --no-progress --spill-dir /etc/hostname/spill
expect_text "spill dir after the command" "error.*/etc/hostname"
slow=(bench tasks --shape tree --n 400000 --scheduler sync --repeat 1)  # a run of a few tenths of a second
check "progress in place" 0 env TESSERA_PROGRESS_INTERVAL=0.01 "$tessera" --progress "${slow[@]}"
expect_text "progress in place" $'\r.*\[#+ *\] [0-9]+% [0-9]+/[0-9]+ tasks'
check "progress lines" 0 env TESSERA_PROGRESS_INTERVAL=0.01 "$tessera" "${slow[@]}"
expect_text "progress lines" "^tessera: progress 100% 399999/399999 tasks .*inc 200000/200000.*rank 0 "
check "no progress" 0 env TESSERA_PROGRESS_INTERVAL=0.01 "$tessera" --no-progress "${slow[@]}"
if grep -q "tessera: progress" <<<"$LAST_OUTPUT"; then echo "FAIL: --no-progress printed progress"; failures=$((failures + 1)); fi
rm -rf "$spill_dir"

if [ "$failures" -ne 0 ]; then echo "$failures CLI check(s) failed"; exit 1; fi
echo "all CLI checks passed"
