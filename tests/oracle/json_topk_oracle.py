#!/usr/bin/env python3
"""`tessera json-topk` against Python's json and collections, from the command line a user types.

    json_topk_oracle.py TESSERA MPIEXEC...  runs MPIEXEC... TESSERA json-topk on
    generated gzip'd and plain JSON-lines files and compares its VALUE<TAB>COUNT
    lines with Python; then bad lines, missing fields, --skip-bad-lines and --default.
"""
import collections
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile

tessera, mpiexec = sys.argv[1], sys.argv[2:]
failures = []


def run(args):
    return subprocess.run(mpiexec + [tessera, "--no-progress", "json-topk"] + args, capture_output=True, text=True,
                          timeout=240)


def expect(label, args, counter, k):
    r = run(args)
    if r.returncode != 0:
        failures.append("%s: exit %d: %s" % (label, r.returncode, r.stderr.strip()[-300:]))
        return r
    top = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0].encode("utf-8")))[:k]
    want = "".join("%s\t%d\n" % kv for kv in top)
    if r.stdout != want:
        failures.append("%s: got\n%s\nwant\n%s" % (label, r.stdout[:300], want[:300]))
    return r


def text(v):
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))


with tempfile.TemporaryDirectory() as d:
    rnd = random.Random(9)
    names = ["Ann", "Bob", "Émile", "日本語", "😀", 'q "x"', "a\\b", "Zoë", "tab\there"]
    records = []
    for f in range(3):
        lines = []
        for i in range(2000):
            r = {"name": rnd.choice(names), "n": rnd.randint(0, 5), "nested": {"k": rnd.choice([1, 2])}}
            lines.append(json.dumps(r, ensure_ascii=rnd.random() < 0.5))
            records.append(r)
        body = "\n".join(lines) + ("\n" if f != 2 else "")
        if f == 0:
            with gzip.open(os.path.join(d, "2015-0%d.json.gz" % f), "wt", encoding="utf-8") as out:
                out.write(body)
        else:
            with open(os.path.join(d, "2015-0%d.json" % f), "w", encoding="utf-8") as out:
                out.write(body)
    pattern = os.path.join(d, "2015-*.json*")
    expect("name", [pattern, "--pluck", "name", "-k", "5"], collections.Counter(r["name"] for r in records), 5)
    expect("n, all", [pattern, "--pluck", "n", "-k", "100", "--blocksize", "5000"],
           collections.Counter(text(r["n"]) for r in records), 100)
    expect("nested", [pattern, "--pluck", "nested", "-k", "3"], collections.Counter(text(r["nested"]) for r in records), 3)
    # A bad line: an error naming file and line; skipped and counted with --skip-bad-lines.
    bad = os.path.join(d, "bad-1.json")
    with open(bad, "w") as f:
        f.write('{"name": "Ann"}\n{"name": \n{"name": "Bob"}\nnot json\n{"other": 1}\n')
    r = run([os.path.join(d, "bad-*.json"), "--pluck", "name"])
    if r.returncode == 0 or bad + ", line 2" not in r.stderr:
        failures.append("bad line: exit %d, stderr %r" % (r.returncode, r.stderr[-300:]))
    r = run([os.path.join(d, "bad-*.json"), "--pluck", "name", "--skip-bad-lines"])
    if r.returncode == 0 or bad + ", line 5" not in r.stderr or "name" not in r.stderr:
        failures.append("missing field: exit %d, stderr %r" % (r.returncode, r.stderr[-300:]))
    r = expect("skip and default", [os.path.join(d, "bad-*.json"), "--pluck", "name", "--skip-bad-lines", "--default", "none"],
               collections.Counter(["Ann", "Bob", "none"]), 10)
    if "skipped 2 bad lines" not in r.stderr:
        failures.append("skip count: stderr %r" % r.stderr[-300:])

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("json-topk oracle: all outputs equal Python's")
