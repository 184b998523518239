#!/usr/bin/env python3
"""`tessera csv-groupby` against pandas, from the command line a user types.

    csv_groupby_oracle.py TESSERA MPIEXEC...  runs MPIEXEC... TESSERA csv-groupby on
    generated files and compares its CSV output with pandas; then a malformed
    file must exit non-zero naming the file and line.
"""
import io
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

tessera, mpiexec = sys.argv[1], sys.argv[2:]
failures = []


def run(args):
    return subprocess.run(mpiexec + [tessera, "--no-progress", "csv-groupby"] + args, capture_output=True, text=True,
                          timeout=240)


def compare(label, text, want):
    got = pd.read_csv(io.StringIO(text), keep_default_na=True)
    if list(got.columns) != list(want.columns):
        failures.append("%s: header %s, expected %s" % (label, list(got.columns), list(want.columns)))
        return
    if len(got) != len(want):
        failures.append("%s: %d rows, pandas %d" % (label, len(got), len(want)))
        return
    for c in want.columns:
        g, w = got[c], want[c]
        if pd.api.types.is_numeric_dtype(w) and not pd.api.types.is_bool_dtype(w):
            ok = np.isclose(g.astype(float), w.astype(float), rtol=1e-13, atol=0, equal_nan=True)
        else:
            ok = g.astype(str).to_numpy() == w.astype(str).to_numpy()
        if not np.all(ok):
            i = int(np.flatnonzero(~np.asarray(ok))[0])
            failures.append("%s: %s row %d: got %r, pandas %r" % (label, c, i, g.iloc[i], w.iloc[i]))
            return


with tempfile.TemporaryDirectory() as d:
    rng = np.random.default_rng(3)
    cities = ["Paris", "New York, NY", 'The "Big" Apple', "Zürich", "multi\nline"]
    for i in range(3):
        n = 4000
        pd.DataFrame({
            "user_id": rng.integers(1, 40, n),
            "city": [cities[k] for k in rng.integers(0, len(cities), n)],
            "value": np.where(rng.random(n) < 0.03, np.nan, rng.normal(5, 2, n)),
            "count": rng.integers(-5, 100, n),
        }).to_csv(os.path.join(d, "part-%d.csv" % i), index=False)
    pdf = pd.concat([pd.read_csv(os.path.join(d, "part-%d.csv" % i)) for i in range(3)], ignore_index=True)
    pattern = os.path.join(d, "part-*.csv")

    r = run([pattern, "--by", "user_id", "--agg", "value:mean", "--agg", "value:max", "--agg", "count:sum",
             "--agg", "value:size", "--blocksize", "20000"])
    if r.returncode != 0:
        failures.append("csv-groupby failed: " + r.stderr)
    else:
        g = pdf.groupby("user_id")
        compare("by user_id", r.stdout, pd.DataFrame({"value_mean": g["value"].mean(), "value_max": g["value"].max(),
                                                      "count_sum": g["count"].sum(),
                                                      "value_size": g.size()}).reset_index())
        # Integer sums print exactly; floats with 17 significant digits.
        line = r.stdout.splitlines()[1].split(",")
        if "." in line[3] or len(line[1].replace("-", "").replace(".", "").lstrip("0")) < 15:
            failures.append("number formats: " + r.stdout.splitlines()[1])

    r = run([pattern, "--by", "city", "--by", "user_id", "--agg", "value:std", "--agg", "count:nunique",
             "--agg", "value:first", "--agg", "count:min"])
    if r.returncode != 0:
        failures.append("csv-groupby (two keys) failed: " + r.stderr)
    else:
        g = pdf.groupby(["city", "user_id"])
        compare("by city, user_id", r.stdout, pd.DataFrame({
            "value_std": g["value"].std(), "count_nunique": g["count"].nunique(), "value_first": g["value"].first(),
            "count_min": g["count"].min()}).reset_index())

    with open(os.path.join(d, "bad.csv"), "w") as f:
        f.write("user_id,value\n1,2.5\n2,3.5,9\n3,4\n")  # line 3 has too many fields
    r = run([os.path.join(d, "bad.csv"), "--by", "user_id", "--agg", "value:mean"])
    if r.returncode == 0 or "bad.csv" not in r.stderr or "line 3" not in r.stderr:
        failures.append("a malformed file: exit %d, stderr %r" % (r.returncode, r.stderr))
    r = run([os.path.join(d, "nothing-*.csv"), "--by", "user_id", "--agg", "value:mean"])
    if r.returncode == 0 or "nothing-*.csv" not in r.stderr:
        failures.append("no files matched: exit %d, stderr %r" % (r.returncode, r.stderr))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("csv-groupby: output equals pandas'")
