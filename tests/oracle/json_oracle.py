#!/usr/bin/python3
"""tessera::Json against Python's json module on JSON lines Python wrote:
nested objects and arrays, unicode (accented, CJK, astral plane, written
both raw and as \\u escapes with surrogate pairs), escapes and control
characters in values and keys, missing keys, integers at and beyond the
int64 and uint64 limits, floats of every magnitude, and odd whitespace.

For each line the driver prints dump() and pluck_field() of a few keys.
Every dump must parse (json.loads) to Python's value, floats and integers
beyond int64 compared as doubles; when the line holds no integer beyond
int64, dump() must equal json.dumps(v, separators=(",", ":"),
ensure_ascii=False) byte for byte. Plucked values and their to_text() must
match too. Lines Python rejects must fail in both Json::parse and
pluck_field; so must NaN, Infinity and lone surrogates, which Python's json
accepts but JSON does not.

    json_oracle.py JSON_DUMP
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

dump = sys.argv[1]
rng = random.Random(12)
failures = 0
KEYS = ["name", "age", "nested", "tags", "caf\u00e9", "big", "x"]
INT64_MAX = 2**63 - 1


def fail(message):
    global failures
    failures += 1
    if failures <= 20:
        print("FAIL " + message)


def word():
    pools = ["abc", "caf\u00e9", "\u65e5\u672c\u8a9e", "\U0001F600\U0001F680", "tab\there", "line\nbreak",
             "quote\"s", "back\\slash", "ctl\x01\x1f", "slash/", "\u2028sep", "del\x7f", ""]
    return rng.choice(pools) + str(rng.randrange(100))


def number():
    kind = rng.randrange(9)
    if kind == 0:
        return rng.choice([0, -1, INT64_MAX, -INT64_MAX - 1, INT64_MAX + 1, 2**64 - 1, 2**64, -2**63 - 1, 10**30, -(10**25)])
    if kind == 1:
        return rng.randrange(-10**12, 10**12)
    if kind == 2:
        return rng.choice([0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 1e-5, 1e-4, 1.5e300, 5e-324, 2.5e-308, 123456.789])
    if kind == 3:
        return rng.uniform(-1e6, 1e6)
    if kind == 4:
        return rng.random() * 10 ** rng.randrange(-30, 30)
    if kind == 5:
        return float(rng.randrange(-10**6, 10**6))
    return rng.randrange(1000)


def value(depth=0):
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return number()
    if kind in (3, 4):
        return word()
    if kind == 5:
        return [value(depth + 1) for _ in range(rng.randrange(4))]
    return {word() if rng.random() < 0.3 else rng.choice(KEYS): value(depth + 1) for _ in range(rng.randrange(5))}


def record():
    r = {}
    for key in KEYS:
        if rng.random() < 0.6:
            r[key] = value(1)
    for _ in range(rng.randrange(3)):
        r[word()] = value(1)
    keys = list(r)
    rng.shuffle(keys)
    return {k: r[k] for k in keys}


def write(v):
    style = rng.randrange(4)
    if style == 0:
        return json.dumps(v, ensure_ascii=False)
    if style == 1:
        return json.dumps(v)  # \u escapes, surrogate pairs for the astral plane
    if style == 2:
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return " \t" + json.dumps(v, separators=(" , ", " :  ")) + "  "


def has_big_int(v):
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return not (-INT64_MAX - 1 <= v <= INT64_MAX)
    if isinstance(v, list):
        return any(has_big_int(x) for x in v)
    if isinstance(v, dict):
        return any(has_big_int(x) for x in v.values())
    return False


def same(ours, want):
    if isinstance(want, bool) or want is None or isinstance(want, str):
        return type(ours) is type(want) and ours == want
    if isinstance(want, int) and -INT64_MAX - 1 <= want <= INT64_MAX:
        return type(ours) is int and ours == want
    if isinstance(want, (int, float)):
        return isinstance(ours, float) and (ours == float(want)) and math.copysign(1, ours) == math.copysign(1, float(want))
    if isinstance(want, list):
        return isinstance(ours, list) and len(ours) == len(want) and all(same(a, b) for a, b in zip(ours, want))
    if isinstance(want, dict):
        return (isinstance(ours, dict) and list(ours) == list(want) and all(same(ours[k], want[k]) for k in want))
    return False


def text_of(v):
    return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)


valid = [record() for _ in range(3000)]
valid += [{"x": v} for v in [[], {}, "", [[[]]], {"a": {"b": {"c": [1, {"d": None}]}}}]]
valid += [{"dup": 1, "x": 2}, {"name": {"name": "inner"}}]
invalid = ["", "{", "[1, 2", '{"a" 1}', "[1,]", '{"a":1,}', "nul", "tru", "01", "1.", '"abc', "[1] 2", "{} {}",
           '"\\x"', '"a\tb"', "[1 2]", '{"name": 1', '{"name": "x"', "{'name': 1}", '{"name": 1}}', '{name: 1}', "-",
           "1e", '"\\u12"']
stricter = ["NaN", '{"name": Infinity}', '{"x": -Infinity}', '"\\ud83d"', '{"name": "\\ude00"}']

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "in.jsonl")
    lines = [write(v) for v in valid] + invalid + stricter
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    proc = subprocess.run([dump, path, ",".join(KEYS)], capture_output=True)
    if proc.returncode != 0:
        print(proc.stderr.decode(errors="replace"))
        sys.exit(1)
    out = [json.loads(line) for line in proc.stdout.decode("utf-8").split("\n")[:-1]]  # not splitlines(): U+2028 is no line end

if len(out) != len(lines):
    fail(f"{len(out)} output lines for {len(lines)} input lines")
    sys.exit(1)

exact = 0
for i, (line, got) in enumerate(zip(lines, out)):
    if i >= len(valid):
        if "error" not in got or not got["error"].startswith("json: "):
            fail(f"line {i + 1} {line!r}: accepted, Python {'rejects' if i < len(valid) + len(invalid) else 'has no JSON for'} it")
        continue
    want = json.loads(line)
    if "error" in got:
        fail(f"line {i + 1} {line!r}: {got['error']}")
        continue
    if not same(json.loads(got["dump"]), want):
        fail(f"line {i + 1}: dump {got['dump']!r} != Python {want!r}")
    if not has_big_int(want):
        expected = json.dumps(want, separators=(",", ":"), ensure_ascii=False)
        if got["dump"] != expected:
            fail(f"line {i + 1}: dump {got['dump']!r} != json.dumps {expected!r}")
        else:
            exact += 1
    if isinstance(want, dict):
        for key in KEYS:
            if key not in want:
                if key in got["pluck"]:
                    fail(f"line {i + 1}: plucked absent key {key!r}: {got['pluck'][key]!r}")
                continue
            if key not in got["pluck"]:
                fail(f"line {i + 1}: key {key!r} not plucked")
                continue
            first = want[key]
            if not same(got["pluck"][key], first):
                fail(f"line {i + 1}: pluck {key!r} {got['pluck'][key]!r} != {first!r}")
            if not has_big_int(first) and got["text"][key] != text_of(first):
                fail(f"line {i + 1}: to_text {key!r} {got['text'][key]!r} != {text_of(first)!r}")

print(f"json_oracle: {len(valid)} valid lines ({exact} dumps byte-equal to json.dumps), "
      f"{len(invalid) + len(stricter)} invalid lines; {failures} failures")
sys.exit(1 if failures else 0)
