#!/usr/bin/python3
"""Checks Tessera's Array against NumPy on the same inputs.

Usage: array_oracle.py EXPRESSIONS_BINARY MPIEXEC [ARGS...]
Runs the binary under the given launcher (e.g. mpiexec -n 2 --oversubscribe),
then recomputes every named expression with NumPy from the inputs the binary
wrote, and compares dtype, shape and values (exact for integers and booleans,
to within floating-point reassociation for floats).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

DT = {"bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
      "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
      "float32": np.float32, "float64": np.float64}


def expected(v):
    x, y, i32, i64, u8, b, z, t = (v[k] for k in ["x", "y", "i32", "i64", "u8", "b", "z", "t"])
    xn = np.where(x > 1.5, np.nan, x)
    sq = v["sq"]
    with np.errstate(all="ignore"):
        return {
            "x_sum": x.sum(),
            "x_mean_ax1_keep": x.mean(1, keepdims=True),
            "seed_centered": x - x.mean(1, keepdims=True),
            "seed_std": (x - x.mean(1, keepdims=True)).std(),
            "x_var_ax0_ddof1": x.var(0, ddof=1),
            "x_std_ax1": x.std(1),
            "x_min_ax1": x.min(1),
            "x_max": x.max(),
            "x_argmax": np.int64(x.argmax()),
            "x_argmin_ax0": x.argmin(0).astype(np.int64),
            "x_argmax_ax1": x.argmax(1).astype(np.int64),
            "x_prod_ax1": (x * 0.001 + 1).prod(1),
            "i32_plus_y": i32 + y,
            "i32_sum": i32.sum(),
            "i32_mean_ax0": i32.mean(0),
            "i64_sum_ax1": i64.sum(1),
            "i64_floordiv_mod": np.floor_divide(i64, 7) + i64 % -3,
            "u8_sum_ax0": u8.sum(0),
            "u8_plus_1": u8 + np.uint8(1),
            "u8_max_ax1": u8.max(1),
            "b_any_ax1": b.any(1),
            "b_all_ax0": b.all(0),
            "b_sum": b.sum(),
            "where_sqrt": np.where(x > 0, np.sqrt(np.abs(x)), -x),
            "unary_chain": np.exp(np.sin(x)) + np.log1p(np.abs(x)) - np.tanh(x) * np.floor(x) + np.ceil(y),
            "compare_logical": (x >= y) & (i32 < 5),
            "power_min_max": np.power(y, 2) + np.minimum(x, 0.5) - np.maximum(i32, 3),
            "clip": np.clip(x, -1, 1),
            "astype_i32": (x * 100).astype(np.int32),
            "x_over_i32": x / (i32 + 100),
            "y_mean": y.mean(),
            "y_sum_ax0": y.sum(0),
            "bcast_z": x * z - z.mean(),
            "bcast_z_sum_ax0": (x + z).sum(0),
            "fold_mul_sum": (x * z).sum(),
            "fold_add_var_ax1": (x + z).var(1),
            "fold_sub_scalar_mean_ax1": (x - 3.5).mean(1, keepdims=True),
            "fold_mul_std_ax1_ddof1": (x * x).std(1, ddof=1),
            "fold_offset_var": (x + 1e8).var(),
            "nansum": np.nansum(xn),
            "nanmean_ax1": np.nanmean(xn, 1),
            "nanmax_ax0": np.nanmax(xn, 0),
            "nanstd": np.nanstd(xn),
            "max_with_nan_ax1": xn.max(1),
            "isnan_count": np.isnan(xn).sum(1),
            "t_sum_02": t.sum((0, 2)),
            "t_mean_02_keep": t.mean((0, 2), keepdims=True),
            "t_std_1": t.std(1),
            "t_var_all_ddof1": t.var(ddof=1),
            **{f"{n}_hist_{part}": h for n, a, bins, lo, hi in [
                ("x", x, 10, -2.0, 2.0), ("xn", xn, 13, -1.0, 1.5), ("i32", i32, 7, -50.0, 49.0),
                ("u8", u8, 8, 0.0, 256.0), ("y", y, 5, -2.0, 2.0), ("t", t, 1, -0.5, 0.5)]
               for part, h in zip(("counts", "edges"), np.histogram(a, bins, range=(lo, hi)))},
            "t_argmin_2": t.argmin(2).astype(np.int64),
            "t_bitwise": (np.arange(1000) & 0x5A) ^ 3,
            "linspace": np.linspace(-1, 1, 1001),
            "ones_sum": np.ones((1000, 3)).sum(0),
            "x_slice_steps": x[10:1500:3, -100:],
            "x_slice_negative": x[::-7, 2000:5:-13],
            "x_slice_aligned": x[500:1000, 700:2100],
            "x_int_slice": x[5, 100:900],
            "x_int_negative": x[-1],
            "x_scalar": x[1536, -1],
            "x_ellipsis_newaxis": x[..., None, 0:10],
            "t_ellipsis_int": t[..., 3],
            "t_newaxis_int_step": t[None, 1, ..., ::2],
            "x_take_rows": x[[5, 1536, 0, 0, -3, 700, 699, 698, 2, 4, 6]],
            "x_take_cols": x[:, [2310, 0, 699, 700, 701, 1400, 7, 7]],
            "t_take_apart": t[2, :, [0, 52, 10]],
            "u8_slice_sum": u8[1::2].sum(0),
            "slice_then_chain": (x[3::2] * 2 + y[3::2]).mean(0),
            "x_transpose": x.T,
            "x_transpose_mean": x.T.mean(1),
            "t_transpose_201": t.transpose(2, 0, 1),
            "t_swapaxes": np.swapaxes(t, 0, -1),
            "reshape_split": np.arange(8400).reshape(24, 35, 10),
            "reshape_merge": np.arange(8400).reshape(-1, 10).sum(1),
            "reshape_rows": v["r"].reshape(6, 200, 30).mean((1, 2)),
            "ravel": v["r"].ravel(),
            "concat_ax0": np.concatenate([x, y, i32], 0),
            "concat_ax1": np.concatenate([x, x * 2], -1),
            "concat_rechunk": np.concatenate([x, v["c"]], 0),
            "stack_ax1": np.stack([x[:300], y[:300]], 1),
            "stack_ax0_sum": np.stack([i32, i64, u8]).sum(0),
            "x_cumsum_ax1": x.cumsum(1),
            "x_cumsum_ax0": x.cumsum(0),
            "i32_cumsum_ax0": i32.cumsum(0),
            "u8_cumsum_ax1": u8.cumsum(1),
            "b_cumsum_ax0": b.cumsum(0),
            "y_cumsum_ax0": y.cumsum(0),
            "t_cumprod_2": (t * 0.01 + 1).cumprod(2),
            "i64_cumprod_wraps": (i64 % 5 + 2).cumprod(1),
            "cumsum_flat": np.arange(8400).cumsum(),
            "rechunk_bigger": x.sum(1),
            "rechunk_odd": i64,
            "mask_elements": x[x > 1],
            "mask_rows": x[x.sum(1) > 0],
            "mask_sum": x[x > 0].sum(),
            "mask_chain_mean": (x[x > 0.5] * 2 + 1).mean(),
            "mask_rows_mean_ax0": x[x.sum(1) > 0].mean(0),
            "mask_rows_max_ax1": x[x.sum(1) > 0].max(1),
            "mask_i32": i32[i32 % 7 == 0],
            "mask_other_chunks": x[v["m"] > 0.5],
            "mask_twice": 2 * x[x > 0][x[x > 0] < 1],
            "mask_t_lead2": t[t.sum(2) > 0],
            "mask_persisted_slice": x[x > 1][5:3000:2] - 1,
            "mask_length1_broadcasts": np.arange(40)[np.arange(40) == 7] * 10 + np.arange(40)[np.arange(40) % 3 == 0],
            "ravel_cut_columns": x.ravel(),
            "cumsum_flat_cut_columns": i32.cumsum(),
            "empty_rows_min_ax1": x[3:3].min(1),
            "h5_seed_std": (x - x.mean(1, keepdims=True)).std(),
            "h5_literal_std": (sq - sq.mean(1)).std(),
            "h5_literal_std_square_blocks": (sq - sq.mean(1)).std(),
            "h5_literal_centered": sq - sq.mean(1),
            "h5_column_centered_sum_ax1": (sq - sq.mean(0)).sum(1),
            "h5_all_centered_max_ax0": (sq - sq.mean()).max(0),
            "h5_i32_as_f64_sum_ax0": i32.astype(np.float64).sum(0),
            "h5py_f32_sum_ax1": H5PY_F32.sum(1),
            "h5py_i32_in_group": H5PY_I32,
            "h5py_i64_mean": H5PY_I64.mean(),
            # Reductions that read blocks of several 4 MiB slabs (rows not a multiple of a slab).
            "slabs_sum": H5PY_BIG.sum(),
            "slabs_mean_ax1": H5PY_BIG.mean(1),
            "slabs_var_ax0": H5PY_BIG.var(0),
            "slabs_argmax": np.int64(H5PY_BIG.argmax()),
            "slabs_argmin_ax0": H5PY_BIG.argmin(0).astype(np.int64),
            "slabs_centered_std": (H5PY_BIG - H5PY_BIG.mean(1, keepdims=True)).std(),
            "slabs_nanmax_ax1": np.nanmax(np.where(H5PY_BIG > 2, np.nan, H5PY_BIG), 1),
            "slabs_long_sum": H5PY_LONG.sum(dtype=np.int64),
            "slabs_long_argmin": np.int64(H5PY_LONG.argmin()),
            "slabs_cube_max_ax1": H5PY_CUBE.max(1),
            "slabs_cube_mean_02": H5PY_CUBE.mean((0, 2)),
            "slabs_two_files_var_ax0": (H5PY_BIG - H5PY_BIG2).var(0),
            "slabs_two_files_greater": np.int64((H5PY_BIG > H5PY_BIG2).sum()),
            "wide_rows_sum_ax1": H5PY_WIDE.sum(1),
            "wide_rows_centered_var": (H5PY_WIDE - H5PY_WIDE.mean(1, keepdims=True)).var(),
        }


rng = np.random.default_rng(11)
H5PY_F32 = rng.standard_normal((301, 257)).astype(np.float32)
H5PY_I32 = rng.integers(-1000, 1000, (23, 17)).astype(np.int32)
H5PY_I64 = rng.integers(-10**12, 10**12, 1009)
H5PY_BIG = rng.standard_normal((1100, 1300))  # 11.4 MB: one block, three slabs
H5PY_BIG2 = rng.standard_normal((1100, 1300))
H5PY_LONG = rng.integers(-10**6, 10**6, 1_500_000).astype(np.int32)  # 6 MB: two slabs
H5PY_CUBE = rng.standard_normal((60, 200, 150)).astype(np.float32)  # 7.2 MB, HDF5-chunked
H5PY_WIDE = rng.standard_normal((3, 600_000))  # rows of 4.8 MB, over a slab: whole-block reads


def write_h5py_input(d):
    import h5py
    with h5py.File(os.path.join(d, "h5py_in.h5"), "w") as f:
        f.create_dataset("grp/f32", data=H5PY_F32, chunks=(50, 64))
        f.create_dataset("grp/sub/i32", data=H5PY_I32)
        f.create_dataset("i64", data=H5PY_I64)
        f.create_dataset("big", data=H5PY_BIG)
        f.create_dataset("big2", data=H5PY_BIG2)
        f.create_dataset("long", data=H5PY_LONG)
        f.create_dataset("cube", data=H5PY_CUBE, chunks=(16, 50, 150))
        f.create_dataset("wide", data=H5PY_WIDE)


def check_written(d, inputs):
    """What to_hdf5 wrote, read by h5py: dtype, shape and values."""
    import h5py
    problems = []
    with h5py.File(os.path.join(d, "arrays.h5"), "r") as f:
        for name, want in [("x", inputs["x"]), ("g/i32", inputs["i32"]), ("b", inputs["b"]), ("sq", inputs["sq"])]:
            got = f[name][...]
            if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
                problems.append(f"h5py reads /{name} as {got.dtype} {got.shape}, not the {want.dtype} {want.shape} input")
    return problems


FLOAT32_INSIDE = {"i32_plus_y", "unary_chain", "power_min_max"}


def load(d):
    out = {}
    with open(os.path.join(d, "manifest.txt")) as f:
        for line in f:
            kind, name, dtype, shape = line.split()
            shape = () if shape == "-" else tuple(int(s) for s in shape.split(","))
            a = np.fromfile(os.path.join(d, name + ".bin"), dtype=DT[dtype]).reshape(shape)
            out.setdefault(kind, {})[name] = a
    return out


def main():
    binary, launcher = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as d:
        write_h5py_input(d)
        subprocess.run(launcher + [binary, d], check=True, timeout=600)
        got = load(d)
        want = expected(got["input"])
        failures = check_written(d, got["input"])
        for name, w in want.items():
            w = np.asarray(w)
            g = got["result"].get(name)
            if g is None:
                failures.append(f"{name}: missing from the results")
                continue
            if g.dtype != w.dtype:
                failures.append(f"{name}: dtype {g.dtype}, NumPy says {w.dtype}")
                continue
            if g.shape != w.shape:
                failures.append(f"{name}: shape {g.shape}, NumPy says {w.shape}")
                continue
            if np.issubdtype(w.dtype, np.floating):
                # float32 intermediates: NumPy's float32 power is 1 ulp from the
                # correctly rounded value ours gives; allow float32 rounding.
                rtol = 1e-4 if w.dtype == np.float32 else (1e-6 if name in FLOAT32_INSIDE else 1e-9)
                ok = np.allclose(g, w, rtol=rtol, atol=rtol * max(1.0, float(np.nanmax(np.abs(w))) if w.size and not np.all(np.isnan(w)) else 1.0), equal_nan=True)
            else:
                ok = np.array_equal(g, w)
            if not ok:
                bad = np.argwhere(~np.isclose(g, w, equal_nan=True)) if np.issubdtype(w.dtype, np.floating) else np.argwhere(g != w)
                where = tuple(bad[0]) if bad.size else ()
                failures.append(f"{name}: differs at {where}: got {g[where] if g.shape else g}, NumPy {w[where] if w.shape else w}")
        if failures:
            print("\n".join(failures))
            sys.exit(1)
        print(f"{len(want)} expressions match NumPy")


if __name__ == "__main__":
    main()
