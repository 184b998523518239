#!/usr/bin/env bash
# A real one-node Slurm on localhost: munged, slurmctld and slurmd from
# Debian's packages (installed when missing), with a slurm.conf of our own in a
# temporary directory; the scripts of jobs/slurm submitted with sbatch --wait,
# their output and exit codes checked (one must fail); every daemon stopped at
# the end, also when a check fails.
#   slurm_test.sh TESSERA PYTHON SOURCE_DIR CHECKPOINT_JOB
set -u
tessera=$1; python=$2; src=$3; checkpoint_job=$4
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
[ "$(id -u)" = 0 ] || { echo "FAIL: the Slurm test starts slurmd and munged, which needs root"; exit 1; }

missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null ||
    { echo "FAIL: cannot install ${missing[*]}"; exit 1; }
fi

dir=$(mktemp -d /tmp/tessera-slurm.XXXXXX)
chmod 755 "$dir"
export SLURM_CONF=$dir/slurm.conf
stop_all() {
  scontrol shutdown > /dev/null 2>&1
  for i in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for f in slurmctld.pid slurmd.pid; do [ -f "$dir/$f" ] && kill -0 "$(cat "$dir/$f")" 2> /dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.5
  done
  for f in slurmctld.pid slurmd.pid munged.pid; do
    [ -f "$dir/$f" ] && kill -9 "$(cat "$dir/$f")" 2> /dev/null
  done
  rm -rf "$dir"
}
trap stop_all EXIT
trap 'exit 143' TERM INT  # a CTest timeout or Ctrl-C still stops the daemons

# munged with its own key and socket, so that nothing of the machine's is touched.
mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/work"
dd if=/dev/urandom bs=1 count=1024 of="$dir/munge.key" 2> /dev/null && chmod 400 "$dir/munge.key"
munged --force --key-file="$dir/munge.key" --socket="$dir/munge.sock" --pid-file="$dir/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed" || { echo "FAIL: munged did not start"; exit 1; }

host=$(hostname)
port=$((20000 + $$ % 20000))
memory=$(awk '/MemTotal/ {print int($2 / 1024) - 2048}' /proc/meminfo)
cat > "$SLURM_CONF" <<CONF
ClusterName=tessera-test
SlurmctldHost=$host
AuthType=auth/munge
# cred_expire: how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$dir/munge.sock,cred_expire=10
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$host CPUs=2 RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
slurmctld || { echo "FAIL: slurmctld did not start"; cat "$dir/log/slurmctld.log"; exit 1; }
slurmd || { echo "FAIL: slurmd did not start"; cat "$dir/log/slurmd.log"; exit 1; }
for i in $(seq 1 60); do
  sinfo -h -o %T 2> /dev/null | grep -q idle && break
  sleep 0.5
done
sinfo -h -o %T | grep -q idle || { echo "FAIL: the node never became idle"; sinfo; cat "$dir/log/slurmd.log"; exit 1; }
echo "slurm: $(sinfo -h -o '%P %a %D %T %N')"

cd "$dir/work"
export TESSERA=$tessera OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
submit() {  # name script [sbatch options...]: waits, leaves the log in $name.out, returns the job's exit code
  local name=$1 script=$2
  shift 2
  timeout 300 sbatch --wait --quiet --chdir="$dir/work" --output="$dir/work/$name.out" --export=ALL "$@" "$script"
}

submit demo "$src/jobs/slurm/demo.sbatch" || fail "demo.sbatch failed: $(tail -20 demo.out)"
grep -q "^bag ranks=2 " demo.out || fail "demo.sbatch did not run the demo on 2 ranks: $(tail -20 demo.out)"
ls tessera-demo-*.html > /dev/null 2>&1 || fail "demo.sbatch left no report"
ls tessera-demo-*.json > /dev/null 2>&1 || fail "demo.sbatch left no trace"

submit demo_mpirun "$src/jobs/slurm/demo_mpirun.sbatch" || fail "demo_mpirun.sbatch failed: $(tail -20 demo_mpirun.out)"
grep -q "^bag ranks=2 " demo_mpirun.out || fail "demo_mpirun.sbatch: $(tail -20 demo_mpirun.out)"

# The built-in jobs on small files, checked against Python on the same files.
"$python" - <<'PY' || fail "making the data"
import json, numpy as np, h5py
with open("a.csv", "w") as f:
    f.write("user_id,value\n")
    for i in range(1000):
        f.write(f"{i % 7},{i * 0.5}\n")
with open("a.json", "w") as f:
    for i in range(500):
        f.write(json.dumps({"name": f"n{i % 13}"}) + "\n")
with h5py.File("a.h5", "w") as f:
    f["x"] = np.arange(600.0).reshape(30, 20)
PY
submit jobs "$src/jobs/slurm/builtin_jobs.sbatch" --export=ALL,CSV=a.csv,BY=user_id,AGG=value:sum,JSON=a.json,PLUCK=name,H5=a.h5,DATASET=/x,OP=sum,AXIS=0 ||
  fail "builtin_jobs.sbatch failed: $(tail -20 jobs.out)"
# user 0 sums i * 0.5 over i = 0, 7, ..., 994: 0.5 * 7 * (0 + ... + 142) = 35535.5
grep -q "^0,35535.5$" jobs.out || fail "csv-groupby under Slurm: $(cat jobs.out)"
grep -q "^n0	39$" jobs.out || fail "json-topk under Slurm: $(cat jobs.out)"   # 500 = 13 * 38 + 6: n0..n5 have 39
grep -q "^8700$" jobs.out || fail "h5-reduce under Slurm: $(cat jobs.out)"   # column 0: 20 * (0 + ... + 29)

submit bench "$src/jobs/slurm/bench.sbatch" --export=ALL,TASKS=2000,BYTES=1MiB || fail "bench.sbatch failed: $(tail -20 bench.out)"
grep -q "^shape=tree n=1999 ranks=2 " bench.out || fail "bench.sbatch tasks: $(cat bench.out)"

# A job requeued part-way (as a preemption or a lost node would) starts
# again under the same id and computes only the blocks its checkpoint lacks.
ckpt=$dir/work/ckpt blocks=$dir/work/blocks
mkdir -p "$blocks"
index_lines() { cat "$ckpt"/*.index 2> /dev/null | wc -l; }
job_state() { scontrol show job "$1" -o 2> /dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
job=$(PROGRAM="$checkpoint_job - 24 400 $blocks" CHECKPOINT_DIR=$ckpt KEEP_CHECKPOINT=1 TESSERA_THREADS=1 \
  sbatch --parsable --chdir="$dir/work" --output="$dir/work/resumable.out" --export=ALL "$src/jobs/slurm/resumable.sbatch")
for i in $(seq 1 600); do [ "$(index_lines)" -ge 6 ] && break; sleep 0.1; done
scontrol requeue "$job" || fail "scontrol requeue $job failed"
for i in $(seq 1 100); do [ "$(job_state "$job")" != RUNNING ] && break; sleep 0.1; done
for i in $(seq 1 300); do [ "$(job_state "$job")" = PENDING ] && break; sleep 0.1; done
kept=$(index_lines)
first_run=$(ls "$blocks")
echo "requeued job $job with $kept of 24 blocks checkpointed; state $(job_state "$job")"
for i in $(seq 1 1200); do
  case $(job_state "$job") in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL) break ;; esac
  sleep 0.25
done
[ "$(job_state "$job")" = COMPLETED ] || fail "the requeued job ended $(job_state "$job"): $(cat resumable.out)"
grep -q "^== start 1 of job $job" resumable.out || fail "the job did not start a second time: $(cat resumable.out)"
grep -q "^sum 576000000$" resumable.out || fail "the resumed job's sum: $(cat resumable.out)"
again=0
for f in "$blocks"/*; do grep -qx "$(basename "$f")" <<<"$first_run" || again=$((again + $(wc -l < "$f"))); done
[ "$again" -eq $((24 - kept)) ] || fail "the second start computed $again blocks, expected 24 - $kept"
[ "$(index_lines)" -eq 24 ] || fail "$(index_lines) blocks checkpointed after the second start, expected 24"
echo "the second start computed $again blocks"

submit must_fail "$src/tests/slurm/must_fail.sbatch"
rc=$?
[ $rc -ne 0 ] || fail "a job whose ranks fail succeeded: $(cat must_fail.out)"
grep -q "bad.json, line 2" must_fail.out || fail "the failed job's log does not name the bad line: $(cat must_fail.out)"
! grep -q "not reached" must_fail.out || fail "the script went on after its failed step"

if [ $failures -ne 0 ]; then
  echo "--- slurmctld log"; tail -30 "$dir/log/slurmctld.log"; echo "--- slurmd log"; tail -30 "$dir/log/slurmd.log"
  echo "$failures Slurm check(s) failed"
  exit 1
fi
echo "OK: demo (srun and mpirun), built-in jobs, benchmarks, a requeued job resumed and a failing job under a real Slurm"
