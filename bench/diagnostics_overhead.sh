#!/usr/bin/env bash
# What task records cost: `tessera bench tasks` (10^5 trivial tasks, the
# worst case: nothing but scheduling) without and with `--record` (a Profile
# of its own for each run of the graph, as `--trace` records, without the
# write that comes after the runs). Each process reports its best of 5
# runs; processes alternate off/on so that the machine's drift hits both
# alike, and the figure is the median over ROUNDS processes.
#   bash bench/diagnostics_overhead.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build}; rounds=${2:-9}
tessera=$build/launcher/tessera
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
us() { sed -n 's/.* us_per_task=\([0-9.]*\).*/\1/p' | tail -1; }
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
printf "%-30s %12s %12s %8s\n" "case (n=100000)" "off us/task" "on us/task" "on/off"
for case in "1 sync tree" "1 sync map" "1 threads tree" "1 threads map" "2 threads tree" "2 threads map"; do
  read -r ranks scheduler shape <<<"$case"
  off=(); on=()
  launch=("$tessera"); [ "$ranks" -gt 1 ] && launch=(mpiexec --oversubscribe -n "$ranks" "$tessera")
  for ((i = 0; i < rounds; ++i)); do
    run=("${launch[@]}" --no-progress bench tasks --shape "$shape" --n 100000 --scheduler "$scheduler" --repeat 5)
    off+=("$("${run[@]}" 2>&1 | us)")
    on+=("$("${run[@]}" --record 2>&1 | us)")
  done
  o=$(printf "%s\n" "${off[@]}" | median); n=$(printf "%s\n" "${on[@]}" | median)
  printf "%-30s %12s %12s %8.3f\n" "$ranks rank(s), $scheduler, $shape" "$o" "$n" "$(echo "$n / $o" | bc -l)"
done
