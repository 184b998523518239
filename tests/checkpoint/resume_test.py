"""Kills a checkpointed job part-way and starts it again (issue 14, item 5).

A job of BLOCKS slow blocks persists them into a checkpoint directory. The
first run is killed with SIGKILL (a node lost, a Slurm time limit past its
grace) once some blocks are written. Restarted on the same number of ranks
and on another, each computes exactly the blocks not written and prints the
same sum as a hand computation; a third run after a complete one computes
nothing.

  resume_test.py WORKDIR MPIEXEC "FLAGS" PROGRAM RANKS OTHER_RANKS
"""
import os
import shutil
import signal
import subprocess
import sys
import time

work, mpiexec, flags, program = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
ranks, other_ranks = int(sys.argv[5]), int(sys.argv[6])
BLOCKS, BLOCK_MS = 40, 200
n = BLOCKS * 1000
expected_sum = float(n) * n  # sum of 2k + 1 for k < n

shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
env = dict(os.environ, TESSERA_THREADS="1", TESSERA_PROGRESS="off")


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def command(np_, ckpt, logs):
    os.makedirs(logs, exist_ok=True)
    return [mpiexec, "-n", str(np_), *flags, program, ckpt, str(BLOCKS), str(BLOCK_MS), logs]


def index_lines(ckpt):
    """Complete lines of every rank's index: the chunks written."""
    total = 0
    if not os.path.isdir(ckpt):
        return 0
    for name in os.listdir(ckpt):
        if name.endswith(".index"):
            with open(os.path.join(ckpt, name), "rb") as f:
                total += f.read().count(b"\n")
    return total


def kill_job(launcher, ckpt):
    """SIGKILL to mpiexec and to every rank (Open MPI puts the ranks in process groups of their own)."""
    os.killpg(launcher.pid, signal.SIGKILL)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if program.encode() in argv and ckpt.encode() in argv:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def computed(logs):
    blocks = []
    for name in os.listdir(logs):
        with open(os.path.join(logs, name)) as f:
            blocks += [int(line) for line in f if line.strip()]
    return blocks


def run(np_, ckpt, logs):
    out = subprocess.run(command(np_, ckpt, logs), env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        fail(f"the run on {np_} ranks failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    sums = [line for line in out.stdout.splitlines() if line.startswith("sum ")]
    if len(sums) != 1:
        fail(f"expected one 'sum' line from rank 0, got:\n{out.stdout}")
    total = float(sums[0].split()[1])
    if total != expected_sum:
        fail(f"sum {total} on {np_} ranks, expected {expected_sum}")
    return computed(logs)


# 1. The first run, killed once a quarter of the blocks are written.
ckpt = os.path.join(work, "ckpt")
first = subprocess.Popen(command(ranks, ckpt, os.path.join(work, "logs-killed")), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
deadline = time.time() + 60
while index_lines(ckpt) < BLOCKS // 4:
    if first.poll() is not None:
        fail("the first run ended before it could be killed: " + first.stdout.read().decode())
    if time.time() > deadline:
        kill_job(first, ckpt)
        fail("no checkpointed blocks appeared within 60 s")
    time.sleep(0.01)
at_kill = index_lines(ckpt)
kill_job(first, ckpt)
first.wait()
time.sleep(0.5)
kept = index_lines(ckpt)
print(f"{at_kill} written when the kill was sent")
print(f"killed the first run on {ranks} ranks with {kept} of {BLOCKS} blocks checkpointed")
if not 0 < kept < BLOCKS:
    fail(f"{kept} blocks checkpointed when killed")
ckpt_other = os.path.join(work, "ckpt-other")
shutil.copytree(ckpt, ckpt_other)

# 2. Restarted on as many ranks: only the rest is computed, once each.
again = run(ranks, ckpt, os.path.join(work, "logs-resumed"))
print(f"restart on {ranks} ranks computed {len(again)} blocks")
if len(again) != BLOCKS - kept or len(set(again)) != len(again):
    fail(f"the restart computed {sorted(again)}; expected {BLOCKS - kept} distinct blocks")
if index_lines(ckpt) != BLOCKS:
    fail(f"{index_lines(ckpt)} blocks checkpointed after the restart, expected {BLOCKS}")

# 3. Restarted on another number of ranks: the chunks are read wherever they land.
other = run(other_ranks, ckpt_other, os.path.join(work, "logs-other"))
print(f"restart on {other_ranks} ranks computed {len(other)} blocks")
if sorted(other) != sorted(again):
    fail(f"the restart on {other_ranks} ranks computed {sorted(other)}, on {ranks} {sorted(again)}")

# 4. After a complete run nothing is computed.
done = run(ranks, ckpt, os.path.join(work, "logs-done"))
if done:
    fail(f"a run after a complete one computed {sorted(done)}")
print("a run after the complete one computed nothing; every sum was", expected_sum)
