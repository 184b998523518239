#!/bin/bash
# The spill benchmark of issue 5: `tessera bench spill` at --total 8GiB
# --memory-limit 1GiB on 1 and 2 ranks, with the peak RSS from /usr/bin/time -v,
# against what dd writes and reads in the same spill directory in the same run.
#   bench/spill_vs_dd.sh [BUILD_DIR] [TOTAL] [CHUNK] [LIMIT] [SPILL_DIR]
set -euo pipefail
build=${1:-build}
total=${2:-8GiB}
chunk=${3:-64MiB}
limit=${4:-1GiB}
dir=${5:-${TMPDIR:-/tmp}}
tessera="$build/launcher/tessera"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bytes=$(/usr/bin/python3 -c "import re,sys; t='$total'; m=re.fullmatch(r'(\d+)(GiB|MiB)?', t); print(int(m[1]) << (30 if m[2]=='GiB' else 20 if m[2]=='MiB' else 0))")
mib=$((bytes >> 20))

dd_rate() {  # MB/s from dd's last line
  sed -n 's/.*, \([0-9.]*\) \([GM]\)B\/s$/\1 \2/p' | awk '{ print ($2 == "G" ? $1 * 1000 : $1) }'
}
# dd moves the same bytes in blocks of one chunk (the unit a spill moves) and,
# for reference, of 1 MiB (dd's read then lands in a buffer that stays in cache).
chunk_mib=$(/usr/bin/python3 -c "print(int('$chunk'.replace('MiB','')))")
echo "# dd in $dir, ${mib} MiB (page cache, as the spill file)"
dd_write=$(dd if=/dev/zero of="$dir/tessera-dd-test" bs=${chunk_mib}M count=$((mib / chunk_mib)) 2>&1 | tail -1 | dd_rate)
dd_read=$(dd if="$dir/tessera-dd-test" of=/dev/null bs=${chunk_mib}M 2>&1 | tail -1 | dd_rate)
rm -f "$dir/tessera-dd-test"
dd_write_1m=$(dd if=/dev/zero of="$dir/tessera-dd-test" bs=1M count="$mib" 2>&1 | tail -1 | dd_rate)
dd_read_1m=$(dd if="$dir/tessera-dd-test" of=/dev/null bs=1M 2>&1 | tail -1 | dd_rate)
rm -f "$dir/tessera-dd-test"
echo "dd_write_MB_per_s=$dd_write dd_read_MB_per_s=$dd_read (bs=$chunk) dd_write_1MiB=$dd_write_1m dd_read_1MiB=$dd_read_1m"

for ranks in 1 2; do
  echo "# tessera bench spill on $ranks rank(s)"
  log=$(mktemp)
  /usr/bin/time -v -o "$log.time" mpiexec -n "$ranks" --oversubscribe --allow-run-as-root \
    "$tessera" --no-progress --spill-dir "$dir" bench spill --total "$total" --chunk "$chunk" --memory-limit "$limit" \
    | tee "$log"
  # /usr/bin/time reports the largest RSS of mpiexec and its children: each rank's peak, the largest.
  rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log.time")
  echo "max_rss_MiB=$((rss_kb / 1024)) limit_plus_256MiB=$(( $(/usr/bin/python3 -c "print(int('$limit'.replace('GiB','')) * 1024 if 'GiB' in '$limit' else int('$limit'.replace('MiB','')))") + 256 ))"
  /usr/bin/python3 - "$log" "$dd_write" "$dd_read" "$dd_write_1m" "$dd_read_1m" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().strip().splitlines()
f = dict(re.findall(r"(\w+)=(\S+)", lines[-2] + " " + lines[-1]))
dd_w, dd_r, dd_w1, dd_r1 = map(float, sys.argv[2:6])
w, r = float(f["spill_write_MB_per_s"]), float(f["spill_read_MB_per_s"])
moved = (int(f["spilled_bytes"]) + int(f["unspilled_bytes"])) / 1e6
wa, ra = float(f["all_ranks_write_MB_per_s"]), float(f["all_ranks_read_MB_per_s"])
print(f"spill_write/dd_write={w / dd_w:.2f} spill_read/dd_read={r / dd_r:.2f} "
      f"all_ranks: {wa / dd_w:.2f} {ra / dd_r:.2f} "
      f"(against dd bs=1MiB: {w / dd_w1:.2f} {r / dd_r1:.2f}) "
      f"end_to_end_MB_per_s={moved / float(f['seconds']):.0f} (spilled + read back, over the whole run)")
PY
  rm -f "$log" "$log.time"
done
