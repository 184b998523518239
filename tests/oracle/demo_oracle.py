#!/usr/bin/python3
"""`tessera demo` against NumPy/h5py on the same files: the Delayed example's
count, mean, std, min and max of the text files, and the Array example's
y = x - x.mean(axis=1, keepdims=True) on the HDF5 file the demo wrote
(y's mean and std, the largest |row mean|, three of its values), plus the
file itself: shape, dtype and the row offsets it was written with.

    demo_oracle.py TESSERA [MPIEXEC ARGS...]   the launcher command is prefixed with the rest
"""
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

tessera = sys.argv[1]
prefix = sys.argv[2:]
failures = 0


def fields_of(out, marker):
    lines = [line for line in out.splitlines() if marker in line]
    if len(lines) != 1:
        raise SystemExit(f"FAIL: expected one line with {marker!r} in:\n{out}")
    return dict(re.findall(r"(\w+)=(\S+)", lines[0]))


def check(label, name, got, want, rtol, atol=0.0):
    global failures
    if abs(got - want) > atol + rtol * abs(want):
        print(f"FAIL {label}: {name}={got!r}, numpy says {want!r}")
        failures += 1


# (scheduler, array shape, array chunks): the demo's defaults, and uneven chunks.
runs = [("sync", None, None), ("threads", None, None), ("threads", (517, 263), (100, 50))]
for scheduler, shape, chunks in runs:
    with tempfile.TemporaryDirectory(prefix="tessera-oracle-") as d:
        args = [tessera, "demo", "--dir", d, "--keep", "--files", "6", "--rows", "50000", "--seed", "11", "--csv-rows", "20000", "--json-records", "5000",
                "--scheduler", scheduler]
        if shape:
            args += ["--array-shape", *map(str, shape), "--array-chunks", *map(str, chunks)]
        out = subprocess.run(prefix + args, check=True, capture_output=True, text=True).stdout
        label = f"{scheduler} {shape or 'default'}"

        fields = fields_of(out, "count=")
        files = sorted(f for f in os.listdir(d) if f.startswith("part-"))
        data = np.concatenate([np.loadtxt(os.path.join(d, f)) for f in files])
        expected = dict(count=len(data), mean=data.mean(), std=data.std(), min=data.min(), max=data.max())
        for name, want in expected.items():
            check(label, name, float(fields[name]), want, 1e-6, 1e-6)
        print(f"{label}: {fields} vs numpy {expected}")

        fields = fields_of(out, "y_std=")
        with h5py.File(os.path.join(d, "big.hdf5"), "r") as f:
            x = f["/big-data"][...]
        want_shape = shape or (4000, 2500)
        if x.shape != tuple(want_shape) or x.dtype != np.float64:
            print(f"FAIL {label}: the file holds {x.shape} {x.dtype}, expected {want_shape} float64")
            failures += 1
            continue
        # Written as standard normal numbers plus 0.1 * (row % 97) per row.
        offsets = 0.1 * (np.arange(x.shape[0]) % 97)
        row_means = x.mean(axis=1)
        if np.abs(row_means - offsets).max() > 8 / np.sqrt(x.shape[1]) or not 0.9 < (x - offsets[:, None]).std() < 1.1:
            print(f"FAIL {label}: the file's rows are not N(0, 1) + 0.1 * (row % 97)")
            failures += 1
        y = x - x.mean(axis=1, keepdims=True)
        check(label, "y_std", float(fields["y_std"]), y.std(), 1e-12)
        check(label, "y_mean", float(fields["y_mean"]), y.mean(), 0.0, 1e-12)
        check(label, "max_abs_row_mean", float(fields["max_abs_row_mean"]), np.abs(y.mean(axis=1)).max(), 0.0, 1e-12)
        for name, want in (("y_0_0", y[0, 0]), ("y_0_1", y[0, 1]), ("y_last", y[-1, -1])):
            check(label, name, float(fields[name]), want, 1e-12, 1e-14)
        print(f"{label}: y_std={fields['y_std']} vs numpy {y.std()!r}, y[0,0]={fields['y_0_0']} vs {y[0, 0]!r}")

        # The DataFrame example against pandas on the CSV files the demo wrote.
        fields = fields_of(out, "sum_of_means=")
        import glob
        import pandas as pd
        paths = sorted(glob.glob(os.path.join(d, "csv", "2015-*-*.csv")))
        pdf = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
        means = pdf.groupby("user_id")["value"].mean()
        check(label, "users", float(fields["users"]), len(means), 0.0)
        check(label, "sum_of_means", float(fields["sum_of_means"]), means.sum(), 1e-12)
        check(label, "first_user", float(fields["first_user"]), means.index[0], 0.0)
        check(label, "first_mean", float(fields["first_mean"]), means.iloc[0], 1e-12)
        print(f"{label}: {len(means)} users, sum of means {fields['sum_of_means']} vs pandas {means.sum()!r}")

        # The Bag example against Python's json, gzip and collections on the files the demo wrote.
        import collections
        import gzip
        import json
        counts = collections.Counter()
        for p in glob.glob(os.path.join(d, "json", "2015-*-*.json.gz")):
            with gzip.open(p, "rt", encoding="utf-8") as f:
                counts.update(json.loads(line)["name"] for line in f)
        order = {}
        top = counts.most_common()
        want = ["  %s\t%d" % kv for kv in top[:10]]
        got = [line for line in out.split("\n") if line.startswith("  ") and "\t" in line]
        if [g.split("\t")[1] for g in got] != [w.split("\t")[1] for w in want] or set(got) != set(want):
            print(f"FAIL {label}: the Bag example printed {got}, Python {want}")
            failures += 1
        fields = fields_of(out, "top_n=")
        check(label, "top_n", float(fields["top_n"]), top[0][1], 0.0)
        print(f"{label}: top name {fields['top_name']} x {fields['top_n']} vs Python {top[0]}")
sys.exit(1 if failures else 0)
