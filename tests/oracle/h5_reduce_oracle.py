#!/usr/bin/python3
"""tessera h5-reduce against NumPy: every op, with and without --axis and
--center, on a float64 dataset and an int32 dataset inside a group; a missing
dataset exits non-zero naming it.

Usage: h5_reduce_oracle.py TESSERA MPIEXEC [ARGS...]
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def main():
    tessera, launcher = sys.argv[1], sys.argv[2:]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((517, 263)) * 3 + 1
    i = rng.integers(-2**31, 2**31 - 1, (211, 97)).astype(np.int32)
    failures = []
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "data.h5")
        with h5py.File(path, "w") as f:
            f.create_dataset("x", data=x, chunks=(100, 50))
            f.create_dataset("grp/ints", data=i)
        cases = []
        for op in ["sum", "mean", "min", "max", "std", "var"]:
            for axis in [None, 0, 1]:
                cases.append(("/x", x, op, axis, False))
                cases.append(("/grp/ints", i, op, axis, False))
            cases.append(("/x", x, op, None, True))
        for name, data, op, axis, center in cases:
            args = [tessera, "h5-reduce", path, name, "--op", op] + (["--axis", str(axis)] if axis is not None else [])
            args += ["--center"] if center else []
            r = run(launcher + args)
            if r.returncode != 0:
                failures.append(f"{' '.join(args[1:])}: exit {r.returncode}: {r.stderr.strip()}")
                continue
            a = data - data.mean(1, keepdims=True) if center else data
            want = np.atleast_1d(getattr(a, op)(axis=axis))
            got = r.stdout.split()
            if len(got) != want.size:
                failures.append(f"{' '.join(args[1:])}: {len(got)} lines, NumPy has {want.size} numbers")
                continue
            if op == "sum" and data.dtype.kind == "i":
                ok = [int(g) for g in got] == [int(w) for w in want]  # exact int64
            else:
                ok = np.allclose([float(g) for g in got], want.astype(np.float64), rtol=1e-12, atol=1e-12)
            if not ok:
                failures.append(f"{' '.join(args[1:])}: got {got[:3]}..., NumPy {want[:3]}")
        r = run(launcher + [tessera, "h5-reduce", path, "/grp/missing", "--op", "sum"])
        if r.returncode == 0 or "/grp/missing" not in r.stderr:
            failures.append(f"a missing dataset: exit {r.returncode}, stderr {r.stderr.strip()!r}")
        r = run(launcher + [tessera, "h5-reduce", os.path.join(d, "nope.h5"), "/x", "--op", "sum"])
        r2 = run(launcher + [tessera, "h5-reduce", path, "/x"])
        if r2.returncode == 0 or "--op is required" not in r2.stderr:
            failures.append(f"no --op: exit {r2.returncode}, stderr {r2.stderr.strip()!r}")
        if r.returncode == 0 or "nope.h5" not in r.stderr:
            failures.append(f"a missing file: exit {r.returncode}, stderr {r.stderr.strip()!r}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{len(cases)} h5-reduce runs match NumPy")


if __name__ == "__main__":
    main()
