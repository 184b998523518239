#!/usr/bin/python3
"""`tessera demo` against NumPy on the same files: count, mean, std, min, max.

    demo_oracle.py TESSERA [MPIEXEC ARGS...]   the launcher command is prefixed with the rest
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

tessera = sys.argv[1]
prefix = sys.argv[2:]
failures = 0
with tempfile.TemporaryDirectory(prefix="tessera-oracle-") as d:
    for scheduler in ("sync", "threads"):
        out = subprocess.run(prefix + [tessera, "demo", "--dir", d, "--keep", "--files", "6", "--rows", "50000",
                              "--seed", "11", "--scheduler", scheduler],
                             check=True, capture_output=True, text=True).stdout
        fields = dict(re.findall(r"(\w+)=(\S+)", out.strip().splitlines()[-1]))
        files = sorted(f for f in os.listdir(d) if f.startswith("part-"))
        data = np.concatenate([np.loadtxt(os.path.join(d, f)) for f in files])
        expected = dict(count=len(data), mean=data.mean(), std=data.std(), min=data.min(), max=data.max())
        for name, want in expected.items():
            got = float(fields[name])
            tol = 1e-6 * max(1.0, abs(want))
            if abs(got - want) > tol:
                print(f"FAIL {scheduler}: {name}={got}, numpy says {want}")
                failures += 1
        print(f"{scheduler}: {fields} vs numpy {expected}")
sys.exit(1 if failures else 0)
