#!/bin/bash
# Peak resident memory of a rank under a memory limit: `tessera bench spill`
# at chunk sizes from 64 KiB to 64 MiB under --memory-limit 64MiB and 1GiB,
# each run spilling four times its limit per rank, with the peak RSS from
# /usr/bin/time -v (the largest of mpiexec's children: the largest rank) next
# to the limit. Prints a Markdown table (docs/performance.md, "RSS under a
# memory limit").
#   bench/spill_rss.sh [BUILD_DIR] [RANKS] [SPILL_DIR]
set -euo pipefail
build=${1:-build}
ranks=${2:-1}
dir=${3:-${TMPDIR:-/tmp}}
tessera="$build/launcher/tessera"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
launch=()
if [ "$ranks" -gt 1 ]; then launch=(mpiexec -n "$ranks" --oversubscribe --allow-run-as-root); fi

field() {  # name, text: the value of name=... in text
  grep -o "$1=[^ ]*" <<<"$2" | tail -1 | cut -d= -f2
}

echo "ranks=$ranks host=$(hostname) cores=$(nproc) spill_dir=$dir"
echo
echo "| limit | chunk | total | seconds | peak tracked MiB | peak RSS MiB | RSS - limit MiB |"
echo "|---|---|---|---|---|---|---|"
for limit_mib in 64 1024; do
  total_mib=$((4 * limit_mib * ranks))
  for chunk in 64KiB 1MiB 16MiB 64MiB; do
    time_log=$(mktemp)
    out=$(/usr/bin/time -v -o "$time_log" "${launch[@]}" "$tessera" --no-progress --spill-dir "$dir" \
      bench spill --total "${total_mib}MiB" --chunk "$chunk" --memory-limit "${limit_mib}MiB")
    rss_kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$time_log")
    rm -f "$time_log"
    rss_mib=$((rss_kib / 1024))
    tracked_mib=$(($(field peak_tracked_bytes "$out") >> 20))
    printf "| %s MiB | %s | %s MiB | %s | %s | %s | %s |\n" "$limit_mib" "$chunk" "$total_mib" \
      "$(field seconds "$out")" "$tracked_mib" "$rss_mib" "$((rss_mib - limit_mib))"
  done
done
