#!/usr/bin/env python3
"""jobs/examples/heat_insitu against a serial NumPy run of the same simulation.

    heat_insitu_oracle.py HEAT_INSITU MPIEXEC...  runs MPIEXEC... HEAT_INSITU on a
    small grid; every analysis line (mean, min, max, histogram) and every HDF5
    snapshot must match the same heat equation stepped serially with NumPy.
"""
import subprocess
import sys
import tempfile

import h5py
import numpy as np

program, mpiexec = sys.argv[1], sys.argv[2:]
n, steps, every, bins = 96, 60, 20, 8
failures = []


def initial(n):
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    hot = (i > n // 4) & (i < n // 2) & (j > n // 4) & (j < n // 2)
    stripe = (j > (3 * n) // 4) & (j < (3 * n) // 4 + n // 16)
    return np.where(hot, 100.0, np.where(stripe, 50.0, 0.0))


def step(u, alpha=0.2):
    nxt = np.zeros_like(u)
    # The same operations in the same order as the C++ stencil, so the fields agree to the bit.
    nxt[1:-1, 1:-1] = u[1:-1, 1:-1] + alpha * (((u[:-2, 1:-1] + u[2:, 1:-1]) + u[1:-1, :-2] + u[1:-1, 2:])
                                               - 4.0 * u[1:-1, 1:-1])
    return nxt


with tempfile.TemporaryDirectory() as out:
    r = subprocess.run(mpiexec + [program, str(n), str(steps), str(every), str(bins), out], capture_output=True,
                       text=True, timeout=240)
    if r.returncode != 0:
        print("heat_insitu exited %d:\n%s\n%s" % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
        sys.exit(1)
    lines = [l.split() for l in r.stdout.splitlines() if l.startswith("step ")]
    if len(lines) != steps // every:
        failures.append("%d analysis lines, expected %d:\n%s" % (len(lines), steps // every, r.stdout))
    u = initial(n)
    for t in range(1, steps + 1):
        u = step(u)
        if t % every:
            continue
        want_hist, _ = np.histogram(u, bins=bins, range=(0.0, 100.0))
        got = next((l for l in lines if int(l[1]) == t), None)
        if got is None:
            failures.append("no analysis of step %d" % t)
            continue
        mean, lo, hi = float(got[3]), float(got[5]), float(got[7])
        hist = [int(c) for c in got[9:]]
        if not np.isclose(mean, u.mean(), rtol=1e-13, atol=0):
            failures.append("step %d: mean %r, NumPy %r" % (t, mean, u.mean()))
        if lo != u.min() or hi != u.max():
            failures.append("step %d: min/max %r %r, NumPy %r %r" % (t, lo, hi, u.min(), u.max()))
        if hist != list(want_hist):
            failures.append("step %d: histogram %s, NumPy %s" % (t, hist, list(want_hist)))
        with h5py.File("%s/heat_%d.h5" % (out, t), "r") as f:
            snapshot = f["/u"][...]
        if snapshot.shape != u.shape or not np.array_equal(snapshot, u):
            failures.append("step %d: the snapshot differs from NumPy's field (max |diff| %g)"
                            % (t, float(np.abs(snapshot - u).max()) if snapshot.shape == u.shape else -1))
    timing = [l for l in r.stdout.splitlines() if l.startswith("ranks=")]
    if not timing:
        failures.append("no timing line")
    else:
        print(timing[0])

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("heat_insitu matches NumPy: %d analyses, mean/min/max/histogram and HDF5 snapshots" % (steps // every))
