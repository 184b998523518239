#!/usr/bin/env python3
"""The DataFrame against pandas on the same CSV files.

    dataframe_oracle.py PROGRAM MPIEXEC... : writes CSV files (nulls, quoted
    fields with separators, quotes and newlines, unicode, an empty file, files
    of many blocks), runs `MPIEXEC... PROGRAM 'DIR/*.csv' OUTDIR 2000`, and
    compares each OUTDIR/NAME.csv with pandas on the same files.
"""
import glob
import os
import sys

import numpy as np
import pandas as pd

from expressions_run import expressions_run


def write_inputs(d):
    rng = np.random.default_rng(7)
    names = ["Alice", "alice ", "Bob", "Smith, Jr.", 'Quote "Q" Ltd', "two\nlines", "日本語", "😀 smile",
             " Anne", "Eve", None]
    for i in range(5):
        n = 1500 + 500 * i
        df = pd.DataFrame({
            "user_id": rng.integers(1, 60, n),
            "name": [names[k] for k in rng.integers(0, len(names), n)],
            "value": np.where(rng.random(n) < 0.05, np.nan, rng.random(n)),
            "flag": rng.random(n) < 0.4,
            "timestamp": pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
        })
        df.to_csv(os.path.join(d, "2015-%02d.csv" % (i + 1)), index=False)
    # An empty partition: a header and no rows.
    with open(os.path.join(d, "2015-99.csv"), "w") as f:
        f.write("user_id,name,value,flag,timestamp\n")


def read_all(d):
    parts = [pd.read_csv(p, parse_dates=["timestamp"]) for p in sorted(glob.glob(os.path.join(d, "*.csv")))]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True)


failures = []


def same(name, got, want):
    """got: our CSV read back; want: pandas' frame with the same columns."""
    want = want.reset_index(drop=True)
    if list(got.columns) != list(want.columns):
        failures.append("%s: columns %s, pandas %s" % (name, list(got.columns), list(want.columns)))
        return
    if len(got) != len(want):
        failures.append("%s: %d rows, pandas %d" % (name, len(got), len(want)))
        return
    for c in want.columns:
        g, w = got[c], want[c]
        if pd.api.types.is_datetime64_any_dtype(w):
            ok = (pd.to_datetime(g) == w) | (g.isna() & w.isna())
        elif pd.api.types.is_numeric_dtype(w) and not pd.api.types.is_bool_dtype(w):
            gv, wv = g.astype(float).to_numpy(), w.astype(float).to_numpy()
            ok = np.isclose(gv, wv, rtol=1e-9, atol=1e-12, equal_nan=True)
        else:
            ok = (g.astype(str) == w.astype(str)) | (g.isna() & w.isna())
        bad = np.flatnonzero(~np.asarray(ok))
        if len(bad):
            i = bad[0]
            failures.append("%s: column %s row %d: got %r, pandas %r (%d rows differ)" % (name, c, i, g.iloc[i], w.iloc[i], len(bad)))


def same_rows(name, got, want):
    """As same(), for results whose row order is the partitions': both sorted by every column first."""
    cols = list(want.columns)
    key = lambda f: f.assign(**{c: f[c].astype(str) for c in cols}).sort_values(cols, kind="stable").index
    if list(got.columns) != cols:
        failures.append("%s: columns %s, pandas %s" % (name, list(got.columns), cols))
        return
    want = want.reset_index(drop=True)
    got = got.reset_index(drop=True)
    same(name, got.loc[key(got)].reset_index(drop=True), want.loc[key(want)].reset_index(drop=True))


def main():
    program, mpiexec = sys.argv[1], sys.argv[2:]
    with expressions_run(program, mpiexec, write_inputs, "2015-*.csv", 2000) as (d, data, out):
        pdf = read_all(data)

        def ours(name, **kw):
            return pd.read_csv(os.path.join(out, name + ".csv"), keep_default_na=True, **kw)

        same("all", ours("all", parse_dates=["timestamp"]), pdf)
        same("gb_mean", ours("gb_mean"), pdf.groupby("user_id")["value"].mean().reset_index())
        g = pdf.groupby(["name", "flag"])
        multi = pd.DataFrame({
            "value_sum": g["value"].sum(), "value_mean": g["value"].mean(), "value_count": g["value"].count(),
            "user_id_size": g.size(), "value_min": g["value"].min(), "value_max": g["value"].max(),
            "value_std": g["value"].std(), "value_var": g["value"].var(), "value_first": g["value"].first(),
            "value_last": g["value"].last(), "user_id_nunique": g["user_id"].nunique(),
        }).reset_index()
        multi["name_max"] = multi["name"]
        same("gb_multi", ours("gb_multi"), multi)
        same("filter", ours("filter", parse_dates=["timestamp"]),
             pdf[(pdf.value > 0.5) & pdf.name.str.startswith("A").fillna(False).astype(bool)])
        same("assign", ours("assign"), pd.DataFrame({"v2": pdf.value * 2 + pdf.user_id, "neg": -pdf.user_id}))
        s = pdf.name.str
        same("strings", ours("strings"), pd.DataFrame({
            "lower": s.lower(), "upper": s.upper(), "len": s.len(), "strip": s.strip(),
            "has_a": s.contains("a", regex=False).fillna(False).astype(bool),
            "ends": s.endswith("e").fillna(False).astype(bool)}))
        t = pdf.timestamp.dt
        same("dates", ours("dates"), pd.DataFrame({"year": t.year, "month": t.month, "day": t.day, "hour": t.hour,
                                                   "dow": t.dayofweek}))
        same("dropna", ours("dropna", parse_dates=["timestamp"]), pdf.dropna())
        same("fillna", ours("fillna"), pdf[["value"]].fillna(-1.0))
        same("head", ours("head", parse_dates=["timestamp"]), pdf.head(7))
        same("isna", ours("isna"), pd.DataFrame({"missing": pdf.value.isna()}))
        same("gb_categorical", ours("gb_categorical"),
             pdf.astype({"name": "category"}).groupby("name", observed=True)["value"].sum().reset_index()
             .astype({"name": str}).sort_values("name"))  # pandas orders these categories as they appear
        vc = pdf.name.value_counts().rename_axis("name").reset_index(name="count")
        vc = vc.sort_values(["count", "name"], ascending=[False, True], kind="stable")
        same("value_counts", ours("value_counts"), vc)
        same("nlargest", ours("nlargest", parse_dates=["timestamp"]), pdf.nlargest(9, "value"))
        same("nsmallest", ours("nsmallest", parse_dates=["timestamp"]), pdf.nsmallest(6, "user_id"))
        same("dedupe_subset", ours("dedupe_subset", parse_dates=["timestamp"]), pdf.drop_duplicates(["name", "flag"]))
        same("dedupe_all", ours("dedupe_all"), pdf[["user_id", "flag"]].drop_duplicates())
        # Merges: pandas' rows, in any order (Tessera's follow the partitions).
        ts = ["timestamp"]
        right_side = pdf[pdf.value > 0.9][["user_id", "flag", "timestamp"]]
        same_rows("merge_inner", ours("merge_inner", parse_dates=ts), pdf[["user_id", "name", "value"]].merge(right_side, on="user_id"))
        means = pdf.groupby("user_id")["value"].mean().reset_index()
        same_rows("merge_left_broadcast", ours("merge_left_broadcast"),
                  pdf[["user_id", "value", "name"]].merge(means, on="user_id", how="left"))
        maxes = pdf.groupby("user_id")["value"].max().reset_index()
        same_rows("merge_unique_auto", ours("merge_unique_auto"), pdf[["user_id", "value", "name"]].merge(maxes, on="user_id"))
        low = pdf[pdf.user_id < 20][["user_id", "value"]].drop_duplicates(["user_id"])
        high = pdf[pdf.user_id > 10][["user_id", "flag", "name"]].drop_duplicates(["user_id"])
        same_rows("dedupe_split", ours("dedupe_split"), low)
        same_rows("merge_outer", ours("merge_outer"), low.merge(high, on="user_id", how="outer"))
        counts = pdf.groupby(["name", "flag"])["user_id"].count().reset_index()
        same_rows("merge_right_multi", ours("merge_right_multi"),
                  pdf[pdf.value > 0.95][["name", "flag", "value"]].merge(counts, on=["name", "flag"], how="right"))
        same_rows("gb_split", ours("gb_split"), multi[["name", "flag", "value_sum", "value_mean", "value_count", "user_id_size",
                                                       "value_std", "value_first", "value_last", "user_id_nunique"]])
        same_rows("gb_split_mean", ours("gb_split_mean"), pdf.groupby("user_id")["value"].mean().reset_index())
        want = pdf.describe().reset_index().rename(columns={"index": "Unnamed: 0"})
        same("describe", ours("describe"), want)
        # Sorts: pandas' order exactly (stable, nulls last).
        same("sort_multi", ours("sort_multi", parse_dates=ts),
             pdf.sort_values(["name", "value"], ascending=[True, False], kind="stable", na_position="last"))
        same("sort_desc", ours("sort_desc", parse_dates=ts), pdf.sort_values("timestamp", ascending=False, kind="stable"))
        by_value = pdf.sort_values("value", kind="stable")
        same("set_index", ours("set_index", parse_dates=ts), by_value[["value"] + [c for c in pdf.columns if c != "value"]])
        div = ours("divisions")
        d = div["division"].to_numpy()
        if len(d) != div["npartitions"][0] + 1 or not (np.diff(d) >= 0).all() or d[0] != pdf.value.min() or d[-1] != pdf.value.max():
            failures.append("set_index divisions %s (npartitions %d, min %r, max %r)" % (d[:5], div["npartitions"][0], pdf.value.min(), pdf.value.max()))
        same_rows("shuffle", ours("shuffle", parse_dates=ts), pdf)
        same("repartition_down", ours("repartition_down", parse_dates=ts), pdf)
        same("repartition_up", ours("repartition_up", parse_dates=ts), pdf)
        # to_csv: the parts in order, and the single file, read back by pandas.
        want = pdf[pdf.user_id > 10]
        part_files = sorted(glob.glob(os.path.join(out, "parts", "part-*.csv")),
                            key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0]))
        if len(part_files) < 20:
            failures.append("to_csv wrote %d part files" % len(part_files))
        back = pd.concat([pd.read_csv(p, parse_dates=["timestamp"]) for p in part_files], ignore_index=True)
        same("to_csv parts", back, want)
        same("to_csv one file", pd.read_csv(os.path.join(out, "one.csv"), parse_dates=["timestamp"]), want)
        v = pdf.value
        same("reductions", ours("reductions"), pd.DataFrame([{
            "sum": v.sum(), "mean": v.mean(), "count": v.count(), "min": v.min(), "max": v.max(), "std": v.std(),
            "var": v.var(), "nunique": pdf.user_id.nunique(), "len": len(pdf),
            "npartitions": ours("reductions")["npartitions"][0]}]))
        nparts = ours("reductions")["npartitions"][0]
        if nparts < 20:
            failures.append("expected many partitions (blocks of 2000 bytes), got %d" % nparts)
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("dataframe oracle: all results equal pandas' (%d partitions)" % nparts)


main()
