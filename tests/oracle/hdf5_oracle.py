#!/usr/bin/python3
"""lib/io/hdf5 against h5py, both ways.

(a) tests/io/hdf5_roundtrip writes a file under mpiexec -n 2 (every rank its
    rows); h5py checks dtype, shape, chunks and every value.
(b) h5py writes a file (chunked float32, contiguous int64, a dataset in nested
    groups, bool, and two types Tessera does not read); hdf5_roundtrip reads
    hyperslabs in one plain process (sec2) and under mpiexec -n 2 with the
    MPI-IO driver, and its output is compared with NumPy's slices.

usage: hdf5_oracle.py HDF5_ROUNDTRIP MPIEXEC [MPIEXEC FLAGS...]
Fails loudly: any mismatch raises with what was expected and what came back.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe, mpiexec, flags = sys.argv[1], sys.argv[2], sys.argv[3:]


def run(cmd, env=None, expect_status=0):
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    if done.returncode != expect_status:
        raise SystemExit(f"FAIL: {' '.join(cmd)} exited {done.returncode}, expected {expect_status}\n"
                         f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done


def check(what, ok, detail=""):
    if not ok:
        raise SystemExit(f"FAIL: {what} {detail}")


def check_written(path):
    with h5py.File(path, "r") as f:
        i, j = np.meshgrid(np.arange(123), np.arange(45), indexing="ij")
        expected = {
            "/w/f64": (np.float64, (123, 45), (50, 20), i * 1000.0 + j * 0.5),
            "/w/i16": (np.int16, (77,), None, np.arange(77) * 3 - 100),
            "/w/b": (np.bool_, (10,), (4,), np.arange(10) % 2 == 0),
            "/u64": (np.uint64, (5, 6), None, np.uint64(1 << 40) + np.arange(30, dtype=np.uint64).reshape(5, 6)),
        }
        for name, (dtype, shape, chunks, values) in expected.items():
            d = f[name]
            check(f"{name} dtype", d.dtype == np.dtype(dtype), f"{d.dtype} != {np.dtype(dtype)}")
            check(f"{name} shape", d.shape == shape, f"{d.shape} != {shape}")
            check(f"{name} chunks", d.chunks == chunks, f"{d.chunks} != {chunks}")
            got = d[...]
            check(f"{name} values", np.array_equal(got, values.astype(dtype)),
                  f"first difference at {np.argwhere(got != values.astype(dtype))[:1].tolist()}")
    print("(a) written by 2 ranks, checked by h5py: ok")


def write_with_h5py(path):
    rng = np.random.default_rng(7)
    data = {
        "f32": rng.standard_normal((301, 157)).astype(np.float32),
        "i64": (np.arange(1000, dtype=np.int64) - 500) * 1_000_003,
        "u16": (np.arange(13 * 11 * 5) % 65535).astype(np.uint16).reshape(13, 11, 5),
        "bool": rng.random(50) < 0.5,
    }
    with h5py.File(path, "w") as f:
        f.create_dataset("f32", data=data["f32"], chunks=(64, 50))
        f.create_dataset("i64", data=data["i64"])  # contiguous
        f.create_dataset("grp/sub/u16", data=data["u16"], chunks=(4, 11, 5))
        f.create_dataset("bool", data=data["bool"])
        f.create_dataset("text", data=np.array([b"a", b"bc"]))
        f.create_dataset("half", data=np.ones(3, dtype=np.float16))
    return data


def parse(output):
    """driver, then pairs of lines: info DATASET DTYPE SHAPE CHUNKS / values v ..."""
    lines = output.strip().split("\n")
    driver = lines[0].split()[1]
    results = []
    for info, values in zip(lines[1::2], lines[2::2]):
        _, name, dtype, shape, chunks = info.split()
        results.append((name, dtype, shape, chunks, values.split()[1:]))
    return driver, results


def check_reads(path, data, requests, output, expected_driver):
    driver, results = parse(output)
    check("driver", driver == expected_driver, f"{driver} != {expected_driver}")
    check("one result per request", len(results) == len(requests), f"{len(results)} != {len(requests)}")
    stored = {"/f32": ("float32", "301,157", "64,50"), "/i64": ("int64", "1000", "-"),
              "/grp/sub/u16": ("uint16", "13,11,5", "4,11,5"), "/bool": ("bool", "50", "-")}
    for (name, dtype, offset, count), (got_name, got_dtype, shape, chunks, values) in zip(requests, results):
        check(f"{name} info", (got_dtype, shape, chunks) == stored[name], f"{(got_dtype, shape, chunks)} != {stored[name]}")
        window = tuple(slice(o, o + c) for o, c in zip(offset, count))
        expected = data[name.rsplit("/", 1)[1]][window].astype(dtype).ravel()
        got = np.array([float(v) if dtype.startswith("float") else int(v) for v in values], dtype=dtype)
        check(f"{name}[{window}] as {dtype}", np.array_equal(got, expected),
              f"\nexpected {expected[:8]}...\n     got {got[:8]}...")


def main():
    tmp = tempfile.mkdtemp(prefix="hdf5_oracle_")
    try:
        env = dict(os.environ)
        cxx = os.path.join(tmp, "cxx.h5")
        run([mpiexec, "-n", "2", *flags, exe, "write", cxx])
        check_written(cxx)

        py = os.path.join(tmp, "py.h5")
        data = write_with_h5py(py)
        requests = [("/f32", "float32", (0, 0), (301, 157)), ("/f32", "float64", (63, 49), (70, 3)),
                    ("/i64", "int64", (990,), (10,)), ("/i64", "float64", (3,), (400,)),
                    ("/grp/sub/u16", "uint16", (2, 3, 1), (9, 8, 4)), ("/grp/sub/u16", "int32", (12, 10, 4), (1, 1, 1)),
                    ("/bool", "bool", (0,), (50,)), ("/bool", "uint8", (7,), (13,))]
        args = [f"{n}:{t}:{','.join(map(str, o))}:{','.join(map(str, c))}" for n, t, o, c in requests]
        env["TESSERA_HDF5_DRIVER"] = "sec2"
        check_reads(py, data, requests, run([exe, "read", py, *args], env=env).stdout, "sec2")
        print("(b) written by h5py, read by one plain process (sec2): ok")

        env["TESSERA_HDF5_DRIVER"] = "mpio"
        prefix = os.path.join(tmp, "ranks")
        run([mpiexec, "-n", "2", *flags, exe, "read", "--runtime", "--out", prefix, py, *args], env=env)
        for rank in range(2):
            with open(f"{prefix}.{rank}") as f:
                check_reads(py, data, requests, f.read(), "mpio")
        print("(b) read by 2 ranks through MPI-IO: ok")

        env.pop("TESSERA_HDF5_DRIVER")
        for request, message in [
            ("/text:int8:0:1", f"dataset '/text' in HDF5 file '{py}' has type string, not a number or bool"),
            ("/half:float32:0:1", f"dataset '/half' in HDF5 file '{py}' has type float of 2 bytes, not a number or bool"),
            ("/grp/sbu/u16:uint16:0,0,0:1,1,1", f"HDF5 file '{py}' has no dataset '/grp/sbu/u16': group '/grp' holds 'sub'"),
            ("/f32:int32:0,0:1,1", f"dataset '/f32' in HDF5 file '{py}' holds float32, which does not cast to int32 "
                                   "under NumPy's same_kind rule"),
        ]:
            err = run([exe, "read", py, request], env=env, expect_status=2).stderr
            check(f"error for {request}", message in err, f"\nexpected: {message}\n     got: {err}")
        print("errors for unreadable types, a missing group and a bad cast: ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
