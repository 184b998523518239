#!/usr/bin/env bash
# `tessera --report r.html --trace t.json demo` under mpiexec -n NP writes both
# files; the report opens in headless Chromium with no error and shows every
# rank (a screenshot is kept in OUT); the report of a failed run (from
# diagnostics_mpi_test) names the failure.
#   report_test.sh NP OUT MPIEXEC "MPIEXEC_FLAGS" TESSERA DIAGNOSTICS_MPI_TEST PYTHON
set -u
np=$1; out=$2; mpiexec=$3; flags=$4; tessera=$5; diag_test=$6; python=$7
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
rm -rf "$out" && mkdir -p "$out" && cd "$out" || exit 1

"$mpiexec" -n "$np" $flags "$tessera" --no-progress --report r.html --trace t.json demo > demo.log 2>&1 ||
  fail "demo with --report/--trace exited $?: $(tail -5 demo.log)"
[ -s r.html ] || fail "no report written"
[ -s t.json ] || fail "no trace written"
"$python" - "$np" <<'PY' || fail "trace check"
import json, sys
np = int(sys.argv[1])
events = json.load(open("t.json"))["traceEvents"]
pids = {e["pid"] for e in events if e["ph"] == "X" and e.get("cat") == "task"}
assert pids == set(range(np)), f"task events from ranks {sorted(pids)}, expected 0..{np - 1}"
named = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
used = {(e["pid"], e["tid"]) for e in events if e["ph"] == "X"}
assert used <= named, f"threads without names: {sorted(used - named)}"
starts = [e["id"] for e in events if e["ph"] == "s"]
ends = [e["id"] for e in events if e["ph"] == "f"]
assert sorted(starts) == sorted(ends), "flow arrows without both ends"
assert len(set(starts)) == len(starts), "a flow id used twice"
if np > 1:
    assert ends, "no transfers between ranks in a multi-rank demo"
print(f"trace: {len(events)} events, {len(starts)} flows, ranks {sorted(pids)}")
PY
"$python" "$here/check_report_page.py" r.html --ranks "$np" --screenshot "$out/report.png" ||
  fail "the report did not open cleanly in Chromium"

# Another built-in command, and one that fails in a task: its report names the failure.
"$mpiexec" -n "$np" $flags "$tessera" --no-progress --trace bench.json bench tasks --n 2000 > bench.log 2>&1 ||
  fail "bench tasks with --trace exited $?: $(tail -5 bench.log)"
"$python" -c "import json, sys; e = json.load(open('bench.json'))['traceEvents']; \
n = sum(1 for x in e if x['ph'] == 'X' and x.get('cat') == 'task'); \
sys.exit(0 if n >= 1999 else f'bench trace has {n} tasks')" || fail "bench trace"
printf '{"name":"a"}\n{"name":"b"}\nnot json\n' > bad.json
"$mpiexec" -n "$np" $flags "$tessera" --no-progress --report bad.html json-topk bad.json --pluck name > bad.log 2>&1
rc=$?
[ $rc -eq 1 ] || fail "json-topk on a bad line exited $rc, expected 1: $(tail -5 bad.log)"
grep -q '"failure":{"key":"(.frequencies-chunk-[0-9a-f]*., 0)","rank":[0-9]*,"thread":[0-9]*,"message":"bad.json, line 3: json: ' bad.html ||
  fail "the failed json-topk's report does not name the task, its rank and the bad line"
"$python" "$here/check_report_page.py" bad.html --ranks 1 --expect-failure --screenshot "$out/bad.png" ||
  fail "the failed json-topk's report did not open cleanly"

"$mpiexec" -n "$np" $flags "$diag_test" --gtest_filter='*FailedRun*' > failed.log 2>&1 ||
  fail "diagnostics_mpi_test (failed run) exited $?: $(tail -20 failed.log)"
"$python" "$here/check_report_page.py" "diagnostics_failed.np$np.html" --ranks "$np" --expect-failure \
  --screenshot "$out/failed.png" || fail "the failed run's report did not show the failure"

echo "screenshots: $out/report.png $out/failed.png"
[ $failures -eq 0 ] && echo "OK" || { echo "$failures failure(s)"; exit 1; }
