#!/usr/bin/env bash
# What task records cost: `tessera bench tasks` (10^5 trivial tasks, the
# worst case: nothing but scheduling) with and without --trace, alternated
# so that the machine's drift hits both alike. The figures are the compute
# only (the gather and the file writing come after the runs).
#   bash bench/diagnostics_overhead.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build}; rounds=${2:-3}
tessera=$build/launcher/tessera
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
trace=$(mktemp --suffix=.json); trap 'rm -f "$trace"' EXIT
us() { sed -n 's/.* us_per_task=\([0-9.]*\).*/\1/p' | tail -1; }
best() { sort -g | head -1; }
printf "%-34s %10s %10s %8s\n" "case (n=100000)" "off us/task" "on us/task" "on/off"
for case in "1 sync tree" "1 threads tree" "1 threads map" "2 threads tree" "2 threads map"; do
  read -r ranks scheduler shape <<<"$case"
  off=(); on=()
  for ((i = 0; i < rounds; ++i)); do
    launch=("$tessera"); [ "$ranks" -gt 1 ] && launch=(mpiexec --oversubscribe -n "$ranks" "$tessera")
    off+=("$("${launch[@]}" --no-progress bench tasks --shape "$shape" --n 100000 --scheduler "$scheduler" --repeat 5 2>&1 | us)")
    on+=("$("${launch[@]}" --no-progress --trace "$trace" bench tasks --shape "$shape" --n 100000 --scheduler "$scheduler" --repeat 5 2>&1 | us)")
  done
  o=$(printf "%s\n" "${off[@]}" | best); n=$(printf "%s\n" "${on[@]}" | best)
  printf "%-34s %10s %10s %8.3f\n" "$ranks rank(s), $scheduler, $shape" "$o" "$n" "$(echo "$n / $o" | bc -l)"
done
