#!/usr/bin/env python3
"""The Bag against Python's json, gzip and collections on the same files.

    bag_oracle.py PROGRAM MPIEXEC... : writes JSON-lines files (gzip'd and
    plain; missing keys, nested values, unicode and escaped strings, an empty
    file, a file without a trailing newline, blank lines), runs
    `MPIEXEC... PROGRAM 'DIR/*.json*' OUTDIR 300`, compares each OUTDIR/NAME.txt
    with Python, then checks that a malformed line is named by file and line.
"""
import collections
import glob
import gzip
import json
import os
import random
import subprocess
import sys

from expressions_run import expressions_run

failures = []


def write_inputs(d):
    rnd = random.Random(5)
    names = ["Alice", "Bob", "Émile", "日本", "😀", 'quote "q"', "back\\slash", "tab\there", "Zoë"]
    occupations = ["chef", "pilot", "nurse", None]
    cities = ["Paris", "Oslo", "Kyōto"]
    for f in range(4):
        lines = []
        for i in range(700 + 150 * f):
            r = {"name": rnd.choice(names)}
            if rnd.random() < 0.9:
                r["age"] = rnd.randint(0, 90)
            occ = rnd.choice(occupations)
            if occ:
                r["occupation"] = occ
            if rnd.random() < 0.5:
                r["address"] = {"city": rnd.choice(cities), "zip": rnd.randint(1000, 9999)}
            r["tags"] = [rnd.choice(["a", "b", "ü"]) for _ in range(rnd.randint(0, 3))]
            lines.append(json.dumps(r, ensure_ascii=rnd.random() < 0.5))
            if rnd.random() < 0.01:
                lines.append("")  # a blank line
        text = "\n".join(lines) + "\n"
        if f % 2 == 0:
            with gzip.open(os.path.join(d, "2015-%02d.json.gz" % f), "wt", encoding="utf-8") as out:
                out.write(text)
        else:
            with open(os.path.join(d, "2015-%02d.json" % f), "w", encoding="utf-8") as out:
                out.write(text[:-1] if f == 3 else text)  # the last file has no trailing newline
    open(os.path.join(d, "2015-98.json"), "w").close()  # an empty file


def read_all(d):
    records = []
    for p in sorted(glob.glob(os.path.join(d, "*.json*"))):
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    records.append(json.loads(line))
    return records


def text(v):
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def dump(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def lines_of(out, name):
    with open(os.path.join(out, name + ".txt"), encoding="utf-8") as f:
        return f.read().split("\n")[:-1]


def same(name, got, want, ordered=True):
    if not ordered:
        got, want = sorted(got), sorted(want)
    if got != want:
        diff = [(g, w) for g, w in zip(got, want) if g != w][:3]
        failures.append("%s: %d lines, Python %d; first differences %r" % (name, len(got), len(want), diff))


def main():
    program, mpiexec = sys.argv[1], sys.argv[2:]
    with expressions_run(program, mpiexec, write_inputs, "*.json*", 300) as (d, data, out):
        recs = read_all(data)
        same("count", lines_of(out, "count"), [str(len(recs))])
        names = collections.Counter(dump(r["name"]) for r in recs)
        # topk: counts descending, ties in order of first appearance (both sides).
        order = {}
        for r in recs:
            order.setdefault(dump(r["name"]), len(order))
        top = sorted(names.items(), key=lambda kv: (-kv[1], order[kv[0]]))[:5]
        same("names_top", lines_of(out, "names_top"), ["%s\t%d" % kv for kv in top])
        same("names_slow", lines_of(out, "names_slow"), ["%s\t%d" % kv for kv in names.items()], ordered=False)
        ages = [r.get("age", -1) for r in recs]
        # Counted as read (numbers, and the default for records without an age).
        age_counts = collections.Counter(dump(a) for a in ages)
        same("age_counts", lines_of(out, "age_counts"), ["%s\t%d" % kv for kv in age_counts.items()], ordered=False)
        same("ages", lines_of(out, "ages"), [str(sum(ages)), str(max(ages)), str(min(ages))])
        got_mean = float(lines_of(out, "age_mean")[0])
        if abs(got_mean - sum(ages) / len(ages)) > 1e-9 * abs(got_mean):
            failures.append("age_mean: %r, Python %r" % (got_mean, sum(ages) / len(ages)))
        occ = [r.get("occupation", "none") for r in recs]
        same("occupations", lines_of(out, "occupations"), list(dict.fromkeys(occ)))
        same("groupby", lines_of(out, "groupby"), ["%s\t%d" % kv for kv in collections.Counter(occ).items()], ordered=False)
        fold = collections.defaultdict(int)
        for r in recs:
            fold[r.get("occupation", "none")] += r.get("age", 0)
        same("foldby", lines_of(out, "foldby"), ["%s\t%d" % kv for kv in fold.items()], ordered=False)
        cities = collections.Counter(r["address"]["city"] if "address" in r else "-" for r in recs)
        same("cities", lines_of(out, "cities"), ["%s\t%d" % kv for kv in cities.items()], ordered=False)
        tags = collections.Counter(t for r in recs for t in r["tags"])
        same("tags", lines_of(out, "tags"), ["%s\t%d" % kv for kv in tags.items()], ordered=False)
        nlines = 0
        for p in sorted(glob.glob(os.path.join(data, "*.json*"))):
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rt", encoding="utf-8") as f:
                nlines += len(f.read().splitlines())
        same("lines", lines_of(out, "lines"), [str(nlines)])
        with_age = [r for r in recs if "age" in r]
        back = []
        parts = glob.glob(os.path.join(out, "back", "*.json.gz"))
        for p in sorted(parts, key=lambda p: int(os.path.basename(p).split(".")[0])):
            with gzip.open(p, "rt", encoding="utf-8") as f:
                back += [json.loads(line) for line in f]
        if back != with_age:
            failures.append("to_textfiles: Python read back %d records, want %d (or they differ)" % (len(back), len(with_age)))
        same("written", lines_of(out, "written")[1:], [str(len(with_age))])
        same("dataframe", lines_of(out, "dataframe"), [str(sum(r["age"] for r in with_age)), str(len(with_age))])
        # A malformed line: an error naming the file and the line.
        bad = os.path.join(d, "bad.json")
        with open(bad, "w") as f:
            f.write('{"a": 1}\n{"a": 2}\n{"a": \n{"a": 4}\n')
        run = subprocess.run(mpiexec + [program, "--bad", bad], capture_output=True, text=True, timeout=60)
        if bad + ", line 3" not in run.stdout:
            failures.append("malformed line: %r (want %s, line 3)" % (run.stdout + run.stderr, bad))
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("bag oracle: all results equal Python's (%d records)" % len(recs))


main()
