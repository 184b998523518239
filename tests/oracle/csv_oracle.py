#!/usr/bin/python3
"""lib/io/csv against pandas.read_csv on the same files: files pandas wrote
(nulls, quoted separators, quotes and newlines, unicode, ints, floats, bools,
dates, \\r\\n line ends, one larger than many blocks) and a few written by
hand (NA tokens, blank lines, no final newline, too few fields). The driver
parses each in small blocks; every value must equal pandas' (floats to 1e-12
relative), and what write_csv wrote must read back in pandas as the same frame.
An empty file must fail in both.

    csv_oracle.py CSV_DUMP
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

dump = sys.argv[1]
failures = 0


def fail(message):
    global failures
    failures += 1
    print("FAIL " + message)


def same(a, b):
    """A value of ours (from JSON) against pandas' (None/NaN/NaT: null)."""
    if b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NaT:
        return a is None or a == "NaN"
    if isinstance(b, pd.Timestamp):
        return a == b.value
    if isinstance(b, (bool, np.bool_)):
        return a is not None and bool(a) == bool(b) and not isinstance(a, str)
    if isinstance(b, (int, np.integer)):
        return a is not None and not isinstance(a, (str, bool)) and a == int(b)
    if isinstance(b, (float, np.floating)):
        if a is None or isinstance(a, bool):
            return False
        a = {"inf": math.inf, "-inf": -math.inf}.get(a, a) if isinstance(a, str) else a
        if math.isinf(b):
            return a == b
        return abs(float(a) - float(b)) <= 1e-12 * abs(float(b))
    return a == b


def compare(label, ours, frame):
    if ours["names"] != [str(c) for c in frame.columns]:
        fail(f"{label}: columns {ours['names']} != pandas {list(frame.columns)}")
        return
    for name, column in zip(ours["names"], ours["columns"]):
        want = frame[name].tolist()
        if len(column) != len(want):
            fail(f"{label}: column {name} has {len(column)} rows, pandas {len(want)}")
            continue
        bad = [i for i, (a, b) in enumerate(zip(column, want)) if not same(a, b)]
        if bad:
            i = bad[0]
            fail(f"{label}: column {name}, {len(bad)} values differ; row {i}: ours {column[i]!r}, pandas {want[i]!r}")


def run(path, *flags):
    out_json, out_csv = path + ".json", path + ".out.csv"
    proc = subprocess.run([dump, path, out_json, out_csv, *flags], capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc.stderr
    with open(out_json, encoding="utf-8") as f:
        return json.load(f), out_csv


def check(path, blocksizes, parse_dates=None, usecols=None):
    kwargs = {}
    flags = []
    if parse_dates:
        kwargs["parse_dates"] = parse_dates
        flags += ["--parse-dates", ",".join(parse_dates)]
    if usecols:
        kwargs["usecols"] = usecols
        flags += ["--usecols", ",".join(usecols)]
    frame = pd.read_csv(path, **kwargs)
    for blocksize in blocksizes:
        label = f"{os.path.basename(path)} blocksize={blocksize}"
        ours, out_csv = run(path, "--blocksize", str(blocksize), *flags)
        if ours is None:
            fail(f"{label}: the driver failed: {out_csv}")
            continue
        compare(label, ours, frame)
    # What write_csv wrote reads back in pandas as the same frame.
    back = pd.read_csv(out_csv, parse_dates=parse_dates or False)
    compare(f"{os.path.basename(path)} written back", ours, back)


rng = np.random.default_rng(11)
texts = ["plain", "with,comma", 'say "hi"', "two\nlines", "a,b\n1,2", "crlf\r\ninside", "ünïcødé ✓", "日本語", " spaced ",
         "", None, "x\"y", "tab\there"]
with tempfile.TemporaryDirectory() as tmp:
    n = 300
    mixed = pd.DataFrame({
        "id": rng.integers(-10**12, 10**12, n),
        "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 1e3, n)),
        "text": [texts[i] for i in rng.integers(0, len(texts), n)],
        "flag": rng.random(n) < 0.5,
        "when": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 10**9, n), unit="s"),
        "small": rng.integers(0, 5, n).astype(float) / 4,
    })
    mixed.loc[::17, "when"] = pd.NaT
    path = os.path.join(tmp, "mixed.csv")
    mixed.to_csv(path, index=False)
    check(path, [0, 1, 37, 256, 1000], parse_dates=["when"])
    check(path, [64], usecols=["text", "id"])

    crlf = os.path.join(tmp, "crlf.csv")
    mixed.to_csv(crlf, index=False, lineterminator="\r\n")
    check(crlf, [0, 50, 999], parse_dates=["when"])

    m = 40000
    big = pd.DataFrame({
        "user_id": rng.integers(0, 10000, m),
        "name": [["Alice", "Bob", "Carol, Jr.", "D\"q\"", "multi\nline"][i] for i in rng.integers(0, 5, m)],
        "value": np.round(rng.normal(100, 25, m), 4),
        "when": pd.Timestamp("2015-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 86400, m)), unit="s"),
    })
    path = os.path.join(tmp, "big.csv")
    big.to_csv(path, index=False, float_format="%.4f", date_format="%Y-%m-%d %H:%M:%S")
    check(path, [4096, 65536, 0], parse_dates=["when"])
    check(path, [100000])  # timestamps as strings

    by_hand = {
        "na.csv": "a,b,c,d\n1,NA,x,True\n,2.5,null,false\nnan,-inf,N/A,TRUE\n4,1e300,<NA>,\n",
        "blank.csv": "a,b\n\n1,2\n\n\n3,\"4\"\n\n5,6",
        "few.csv": "a,b,c\n1,2\n3,4,5\n6\n",
        "header_only.csv": "a,b,c\n",
        "ints_floats.csv": "a,b\n1,2\n3,4.5\n-7,+8\n",
        "bom.csv": "\ufeffid,text\n8,bom\n9,\"q,\"\n",  # Excel's UTF-8 mark: not part of the first name
    }
    for name, text in by_hand.items():
        path = os.path.join(tmp, name)
        with open(path, "w", newline="", encoding="utf-8") as f:
            f.write(text)
        check(path, [0, 1, 5])

    empty = os.path.join(tmp, "empty.csv")
    open(empty, "w").close()
    ours, message = run(empty)
    try:
        pd.read_csv(empty)
        fail("pandas read an empty file")
    except pd.errors.EmptyDataError:
        pass
    if ours is not None or "no columns to parse" not in message:
        fail(f"empty.csv: expected an InputError, got {message!r}")

print("csv_oracle: " + ("OK" if failures == 0 else f"{failures} failures"))
sys.exit(1 if failures else 0)
