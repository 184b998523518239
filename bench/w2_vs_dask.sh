#!/bin/bash
# W2 (issue 10): (x - x.mean(axis=1)).std() and .sum() on big.hdf5 (20000 x
# 20000 float64, 3.2 GB, made by ../shared/bench/gen_data.py --scale medium
# --only hdf5), Tessera against Dask and against the machine, in one run:
#   1. dd reading the file from the page cache (the HDF5 read ceiling);
#   2. STREAM triad on 2 threads (the in-memory ceiling; build/bench/stream_triad);
#   3. dask_ref.py --workload W2std,W2sum --engine threads;
#   4. tessera h5-reduce big.hdf5 /big-data --op std|sum --center at 1 and 2 ranks;
#   5. the persisted variant (build/bench/array_w2_bench --mode persisted) at 1 and 2 ranks;
#   6. 2 ranks under --memory-limit 1GiB, with each rank's peak RSS;
# then the ratios. Numbers: docs/performance.md, "W2: Array from HDF5 (issue 10)".
#   bench/w2_vs_dask.sh [BUILD_DIR] [DATA_DIR] [DASK_REF]
set -uo pipefail
build=${1:-build}
data=${2:-/tmp/w2data}
dask_ref=${3:-$(dirname "$0")/../../shared/bench/dask_ref.py}
file="$data/big.hdf5"
tessera="$build/launcher/tessera"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi() { local n=$1; shift; mpiexec --oversubscribe -n "$n" "$@"; }
[ -f "$file" ] || { echo "no $file: /usr/bin/python3 ../shared/bench/gen_data.py $data --scale medium --only hdf5"; exit 2; }
for p in "$tessera" "$build/bench/stream_triad" "$build/bench/array_w2_bench"; do
  [ -x "$p" ] || { echo "missing $p: cmake --build $build --target tessera_cli stream_triad array_w2_bench"; exit 2; }
done
bytes=$(stat -c %s "$file")
load() { uptime | sed 's/.*load average: //'; }
# Seconds of a command's wall clock and the largest process's peak RSS (MiB), from /usr/bin/time -v.
timed() {  # timed LABEL COMMAND... ; prints the command's stdout, sets $secs, $rss_mib, $out
  local log; log=$(mktemp)
  out=$(/usr/bin/time -v "${@:2}" 2>"$log"); local rc=$?
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
  rss_mib=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
  [ $rc -eq 0 ] || { echo "FAILED ($rc): ${*:2}"; cat "$log"; }
  rm -f "$log"
  printf '%-44s %8.2f s  peak RSS %6s MiB  load %s  -> %s\n' "$1" "$secs" "$rss_mib" "$(load)" "$(echo $out | tr '\n' ' ')"
}
best() { sort -g | head -1; }

echo "# $(date -u +%FT%TZ) $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)"
echo "# $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'); $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load $(load)"
echo "# $file: $bytes bytes"

echo "## 1. dd from the page cache (bs=16M; the first read warms the cache)"
dd_rate() { dd if="$file" of=/dev/null bs=16M 2>&1 | awk -v b="$bytes" '/copied/ {for (i = 1; i <= NF; i++) if ($i == "s,") s = $(i-1); printf "%.0f", b / s / 1e6}'; }
dd_rate >/dev/null
dd_mbps=$(for i in 1 2 3; do dd_rate; echo; done | sort -g | tail -1)
echo "dd MB/s, the best of 3: $dd_mbps (load $(load))"

echo "## 2. STREAM triad (arrays of 512 MiB; best of 10 passes after first touch)"
stream2=$("$build/bench/stream_triad" --threads 2 --mib 512 --passes 10)
stream1=$("$build/bench/stream_triad" --threads 1 --mib 512 --passes 10)
echo "2 threads: $stream2"
echo "1 thread:  $stream1"
triad_gbps=$(sed -n 's/.*triad_GBps=\([0-9.]*\).*/\1/p' <<<"$stream2")
read_gbps=$(sed -n 's/.*read_GBps=\([0-9.]*\).*/\1/p' <<<"$stream2")

echo "## 3. Dask (dask_ref.py --workload W2std,W2sum --engine threads), load $(load)"
dask_out=$(/usr/bin/python3 "$dask_ref" --data "$data" --workload W2std,W2sum --engine threads 2>&1)
echo "$dask_out"
dask_std=$(awk '$1 == "W2std.threads" {print $2}' <<<"$dask_out")
dask_sum=$(awk '$1 == "W2sum.threads" {print $2}' <<<"$dask_out")

echo "## 4. tessera h5-reduce from the file (x - x.mean(axis=1, keepdims=True); best of 2)"
declare -A t_file rss_file
for ranks in 1 2; do
  for op in std sum; do
    runs=""
    for rep in 1 2; do
      timed "h5-reduce --op $op --center, $ranks rank(s)" mpiexec --oversubscribe -n "$ranks" "$tessera" --no-progress h5-reduce "$file" /big-data --op "$op" --center
      runs="$runs $secs"
      rss_file[$op.$ranks]=$rss_mib
    done
    t_file[$op.$ranks]=$(tr ' ' '\n' <<<"$runs" | grep . | best)
  done
done
echo "With 16 MiB chunks (TESSERA_ARRAY_CHUNK_SIZE; the default is 128 MiB):"
declare -A t_small
for op in std sum; do
  timed "h5-reduce --op $op --center, 2 ranks, 16MiB" mpiexec --oversubscribe -n 2 -x TESSERA_ARRAY_CHUNK_SIZE=16MiB "$tessera" --no-progress h5-reduce "$file" /big-data --op "$op" --center
  t_small[$op]=$secs
done
echo "## 4a. the literal seed form (x - x.mean(axis=1)).std(), as dask_ref.py's W2std (compare the checksum), in one process, 3 runs"
echo "(every output chunk needs every row mean: x is read a second time for the second pass, not held)"
declare -A t_lit t_lit_first rss_lit
for c in "auto" "2500 2500" "1000 1000"; do
  args=(--chunks $c); [ "$c" = auto ] && args=()
  out=$(mpi 2 "$build/bench/array_w2_bench" "$file" /big-data --mode file --op std --form literal --repeat 3 "${args[@]}")
  echo "$out" | grep -E 'repeat=0|w2_summary'
  t_lit[$c]=$(sed -n 's/.*w2_summary.*best_seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  t_lit_first[$c]=$(sed -n 's/.*repeat=0 seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  rss_lit[$c]=$(sed -n 's/.*w2_summary.*peak_rss_mib=\([0-9]*\).*/\1/p' <<<"$out")
done

lit_lim=$(mpi 2 "$build/bench/array_w2_bench" "$file" /big-data --mode file --op std --form literal --repeat 2 --memory-limit 1GiB | grep w2_summary)
echo "under --memory-limit 1GiB: $lit_lim"
t_lit_lim=$(sed -n 's/.*best_seconds=\([0-9.]*\).*/\1/p' <<<"$lit_lim")
rss_lit_lim=$(sed -n 's/.*peak_rss_mib=\([0-9]*\).*/\1/p' <<<"$lit_lim")

echo "## 4b. the same from the file inside one process (array_w2_bench --mode file: no process start; 3 runs)"
declare -A t_proc t_proc_first
for op in std sum rowmean; do
  out=$(mpi 2 "$build/bench/array_w2_bench" "$file" /big-data --mode file --op "$op" --repeat 3)
  echo "$out" | grep -E 'repeat=0|w2_summary'
  t_proc[$op]=$(sed -n 's/.*w2_summary.*best_seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  t_proc_first[$op]=$(sed -n 's/.*repeat=0 seconds=\([0-9.]*\).*/\1/p' <<<"$out")
done

echo "## 5. persisted in memory (from_hdf5 -> persist, then the expression 5 times), load $(load)"
declare -A t_mem gbps_mem
for ranks in 1 2; do
  for op in std sum literal; do
    form=keepdims; o=$op; [ "$op" = literal ] && { form=literal; o=std; }
    line=$(mpi "$ranks" "$build/bench/array_w2_bench" "$file" /big-data --mode persisted --op "$o" --form "$form" --repeat 5 | grep w2_summary)
    echo "$line"
    t_mem[$op.$ranks]=$(sed -n 's/.*best_seconds=\([0-9.]*\).*/\1/p' <<<"$line")
    gbps_mem[$op.$ranks]=$(sed -n 's/.*best_GBps=\([0-9.]*\).*/\1/p' <<<"$line")
  done
done

echo "## 6. 2 ranks under --memory-limit 1GiB (peak RSS of the largest rank; bound 1024 + 256 MiB)"
declare -A t_lim rss_lim
for op in std sum; do
  timed "h5-reduce --op $op --center, 2 ranks, 1GiB" mpiexec --oversubscribe -n 2 "$tessera" --no-progress --memory-limit 1GiB h5-reduce "$file" /big-data --op "$op" --center
  t_lim[$op]=$secs
  rss_lim[$op]=$rss_mib
done

echo "## Ratios (this run; load now $(load))"
r() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
mb=$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')
printf '| what | Tessera s | MB/s or GB/s | vs Dask threads | vs ceiling | bar |\n|---|---|---|---|---|---|\n'
for op in std sum; do
  dask=$([ "$op" = std ] && echo "$dask_std" || echo "$dask_sum")
  printf '| W2%s file, 2 ranks, in one process (first run / best of 3) | %s / %s | %s MB/s | %sx / %sx | | >= 10x |\n' \
    "$op" "${t_proc_first[$op]}" "${t_proc[$op]}" "$(awk -v m="$mb" -v t="${t_proc[$op]}" 'BEGIN {printf "%.0f", m / t}')" \
    "$(r "$dask" "${t_proc_first[$op]}")" "$(r "$dask" "${t_proc[$op]}")"
  for ranks in 1 2; do
    t=${t_file[$op.$ranks]}
    rate=$(awk -v m="$mb" -v t="$t" 'BEGIN {printf "%.0f", m / t}')
    printf '| W2%s file, %s rank(s) | %s | %s MB/s | %sx | %s of dd (%s MB/s) | >= 10x and >= 0.70 (2 ranks) |\n' \
      "$op" "$ranks" "$t" "$rate" "$(r "$dask" "$t")" "$(r "$rate" "$dd_mbps")" "$dd_mbps"
  done
  for ranks in 1 2; do
    printf '| W2%s persisted, %s rank(s) | %s | %s GB/s read | | %s of triad (%s GB/s), %s of read-only (%s GB/s) | >= 0.70 of triad |\n' \
      "$op" "$ranks" "${t_mem[$op.$ranks]}" "${gbps_mem[$op.$ranks]}" "$(r "${gbps_mem[$op.$ranks]}" "$triad_gbps")" \
      "$triad_gbps" "$(r "${gbps_mem[$op.$ranks]}" "$read_gbps")" "$read_gbps"
  done
  t=${t_small[$op]}
  printf '| W2%s file, 2 ranks, 16 MiB chunks | %s | %s MB/s | %sx | %s of dd | |\n' "$op" "$t" \
    "$(awk -v m="$mb" -v t="$t" 'BEGIN {printf "%.0f", m / t}')" "$(r "$dask" "$t")" \
    "$(r "$(awk -v m="$mb" -v t="$t" 'BEGIN {printf "%.0f", m / t}')" "$dd_mbps")"
  printf '| W2%s file, 2 ranks, --memory-limit 1GiB | %s | peak RSS %s MiB | %sx | limit + 256 MiB = 1280 MiB | RSS < 1280 |\n' \
    "$op" "${t_lim[$op]}" "${rss_lim[$op]}" "$(r "$dask" "${t_lim[$op]}")"
done
for ranks in 1 2; do
  printf '| W2std literal form persisted, %s rank(s) | %s | %s GB/s read | | %s of triad (%s GB/s) | >= 0.70 of triad |\n' \
    "$ranks" "${t_mem[literal.$ranks]}" "${gbps_mem[literal.$ranks]}" "$(r "${gbps_mem[literal.$ranks]}" "$triad_gbps")" "$triad_gbps"
done
printf '| W2std literal form, 2 ranks, --memory-limit 1GiB, in one process (best of 2) | %s | peak RSS %s MiB | %sx | limit + 256 MiB = 1280 MiB | RSS < 1280 |\n' \
  "$t_lit_lim" "$rss_lit_lim" "$(r "$dask_std" "$t_lit_lim")"
for c in "auto" "2500 2500" "1000 1000"; do
  printf '| W2std literal form, chunks %s, 2 ranks, in one process (first / best of 3) | %s / %s | peak RSS %s MiB | %sx / %sx | | >= 10x |\n' \
    "$c" "${t_lit_first[$c]}" "${t_lit[$c]}" "${rss_lit[$c]}" "$(r "$dask_std" "${t_lit_first[$c]}")" "$(r "$dask_std" "${t_lit[$c]}")"
done
read_rate=$(awk -v m="$mb" -v t="${t_proc[rowmean]}" 'BEGIN {printf "%.0f", m / t}')
printf '| HDF5 read pass x.mean(axis=1) from the file, 2 ranks, in one process | %s | %s MB/s | | %s of dd (%s MB/s) | >= 0.70 of dd |\n' \
  "${t_proc[rowmean]}" "$read_rate" "$(r "$read_rate" "$dd_mbps")" "$dd_mbps"
