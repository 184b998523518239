#!/usr/bin/python3
"""`tessera bench spill` against NumPy: the same seeded chunks, their std,
with a memory limit far below the total so that the run spills. Also checks
the run's own record: spilled bytes, the tracked peak within the limit plus
one chunk, and the spill directory gone after the process ends.

    spill_oracle.py TESSERA [MPIEXEC ARGS...]   the launcher command is prefixed with the rest
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

tessera = sys.argv[1]
prefix = sys.argv[2:]
MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def seeded_chunk(seed, nbytes):
    """splitmix64 to [0, 1), as examples::seeded_chunk; numpy's uint64 arithmetic wraps like C++'s."""
    gamma = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        x = np.uint64(seed) * gamma + np.uint64(1)
        z = x + gamma * np.arange(1, nbytes // 8 + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


total, chunk, limit = 24 << 20, 1 << 20, 4 << 20
with tempfile.TemporaryDirectory(prefix="tessera-spill-oracle-") as spill_dir:
    out = subprocess.run(prefix + [tessera, "--no-progress", "--spill-dir", spill_dir, "bench", "spill",
                                   "--total", str(total), "--chunk", str(chunk), "--memory-limit", str(limit)],
                         check=True, capture_output=True, text=True).stdout
    fields = dict(re.findall(r"(\w+)=(\S+)", out.strip().splitlines()[-1]))
    left = os.listdir(spill_dir)
data = np.concatenate([seeded_chunk(i, chunk) for i in range(total // chunk)])
want = data.std()
got = float(fields["checksum"])
failures = []
if abs(got - want) > 1e-12 * want:
    failures.append(f"std {got!r}, numpy says {want!r}")
if int(fields["total_bytes"]) != total:
    failures.append(f"total_bytes {fields['total_bytes']}, expected {total}")
if int(fields["spilled_bytes"]) < total - 2 * limit:
    failures.append(f"spilled only {fields['spilled_bytes']} bytes of {total} under a {limit}-byte limit")
if int(fields["peak_tracked_bytes"]) > limit + chunk:
    failures.append(f"peak {fields['peak_tracked_bytes']} above the limit plus a chunk ({limit + chunk})")
if left:
    failures.append(f"the spill directory still holds {left}")
print(out.strip())
print(f"numpy std {want!r}")
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
