#!/usr/bin/python3
"""lib/io/text against Python's own line reading of the same files: plain
files with unicode, CRLF, empty lines and no final newline, a gzip file
Python wrote, and one of several members (gzip.compress concatenated). The
driver reads each in parts of several block sizes; every line, in order, and
its line number must equal what iterating Python's binary file gives (the
'\\n' dropped, and a '\\r' before it). What write_text writes (plain and .gz)
must read back in Python as the same lines. A corrupt .gz must fail naming it.

    text_oracle.py TEXT_DUMP
"""
import gzip
import os
import subprocess
import sys
import tempfile

dump = sys.argv[1]
failures = 0


def fail(message):
    global failures
    failures += 1
    print("FAIL " + message)


def python_lines(f):
    """Python's reading: iterate a binary file object (lines end at b'\\n')."""
    out = []
    for line in f:
        if line.endswith(b"\n"):
            line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
        out.append(line)
    return out


def read_back(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return python_lines(f)


def run_dump(pattern, blocksize, write=None):
    args = [dump, pattern, str(blocksize)] + (["--write", write] if write else [])
    return subprocess.run(args, capture_output=True)


def check(label, pattern, expected, blocksizes, one_file=True):
    for blocksize in blocksizes:
        done = run_dump(pattern, blocksize)
        if done.returncode != 0:
            fail(f"{label} blocksize {blocksize}: exit {done.returncode}: {done.stderr.decode(errors='replace')}")
            continue
        rows = done.stdout.split(b"\n")
        assert rows[-1] == b""
        rows = [r.split(b"\t", 2) for r in rows[:-1]]
        got = [r[2] for r in rows]
        if got != expected:
            first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
            fail(f"{label} blocksize {blocksize}: {len(got)} lines, Python {len(expected)}; first difference at line {first + 1}")
            continue
        for number, (passed, found, _) in enumerate(rows if one_file else [], start=1):
            if int(found) != number or int(passed) not in (-1, number):
                fail(f"{label} blocksize {blocksize}: line {number} numbered {passed.decode()}/{found.decode()}")
                break


with tempfile.TemporaryDirectory() as tmp:
    unicode_text = "".join(
        f"{i}: h\u00e9llo w\u00f6rld \u4e16\u754c \U0001F600 {'x' * (i % 37)}" + ("\r\n" if i % 5 == 0 else "\n") + ("\n" if i % 7 == 0 else "")
        for i in range(2000)
    ) + "last line without newline \u00e9"
    plain = os.path.join(tmp, "unicode.txt")
    with open(plain, "w", encoding="utf-8", newline="") as f:
        f.write(unicode_text)
    with open(plain, "rb") as f:
        expected_plain = python_lines(f)
    check("unicode.txt", plain, expected_plain, [7, 64, 100, 1000, 65536, 0])

    gz = os.path.join(tmp, "unicode.txt.gz")
    with gzip.open(gz, "wt", encoding="utf-8", newline="") as f:
        f.write(unicode_text)
    check("unicode.txt.gz", gz, read_back(gz), [64, 0])

    members = [("".join(f'{{"member": {m}, "i": {i}}}\n' for i in range(1000 * m + 1))).encode() for m in range(4)]
    multi = os.path.join(tmp, "multi.json.gz")
    with open(multi, "wb") as f:
        for m in members:
            f.write(gzip.compress(m))
    expected_multi = read_back(multi)
    if expected_multi != python_lines(b"".join(members).splitlines(keepends=True)):
        fail("Python's gzip read the multi-member file differently than its parts")
    check("multi.json.gz", multi, expected_multi, [100])

    # The whole glob in bytewise order (line numbers restart in each file).
    check("glob", os.path.join(tmp, "*"), expected_multi + expected_plain + read_back(gz), [64], one_file=False)

    for name in ["out/plain.txt", "out/deep/lines.txt.gz"]:
        out = os.path.join(tmp, name)
        done = run_dump(plain, 100, write=out)
        if done.returncode != 0:
            fail(f"write {name}: {done.stderr.decode(errors='replace')}")
        elif read_back(out) != expected_plain:
            fail(f"write {name}: Python reads back other lines")

    corrupt = os.path.join(tmp, "bad", "corrupt.gz")
    os.makedirs(os.path.dirname(corrupt))
    data = bytearray(gzip.compress(unicode_text.encode()))
    data[len(data) // 2] ^= 0x55
    with open(corrupt, "wb") as f:
        f.write(data)
    done = run_dump(corrupt, 0)
    if done.returncode != 1 or corrupt.encode() not in done.stderr:
        fail(f"corrupt.gz: exit {done.returncode}, stderr {done.stderr!r}")

print("text_oracle: " + ("ok" if failures == 0 else f"{failures} failures"))
sys.exit(1 if failures else 0)
