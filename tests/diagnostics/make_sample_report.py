#!/usr/bin/python3
"""Build a Tessera performance report page from synthetic data.

For developing and testing lib/diagnostics/report_template.html and
lib/diagnostics/report.js without the C++: it does what the C++ `--report`
writer does (template + d3 + DATA + report.js, each placeholder replaced once, in
one pass), with a DATA object generated here.

DATA is inlined with every `<` written as `\\u003c` (the same string to JSON and
JavaScript). Escaping only `</` is not enough: a key holding `<!--<script`
puts the HTML parser in its "script data double escaped" state, where the
`</script>` after DATA no longer ends the element, and the page never runs.

The data imitates a real run: two compute() calls (read + assign persisted,
then a groupby), tasks list-scheduled on the worker threads of each rank,
transfers received by the scheduler thread before the tasks that need them,
spilling while a rank is over its memory target, and resource samples every
100 ms per rank whose cpu_percent follows how busy the rank's workers were.

Usage: make_sample_report.py OUT.html [--ranks 4] [--tasks 5000] [--failure]
       [--empty] [--seed 1]
"""

import argparse
import heapq
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPLATE = os.path.join(ROOT, "lib", "diagnostics", "report_template.html")
REPORT_JS = os.path.join(ROOT, "lib", "diagnostics", "report.js")
D3 = "/usr/share/javascript/d3/d3.min.js"

PLACEHOLDERS = ("/*TESSERA_D3*/", "/*TESSERA_DATA*/", "/*TESSERA_REPORT_JS*/")

# prefix, share of the tasks, mean duration (us), mean output bytes, compute() it belongs to
PREFIXES = [
    ("read_csv", 0.30, 9600.0, 6 << 20, 0),
    ("assign", 0.30, 2800.0, 6 << 20, 0),
    ("groupby-chunk", 0.30, 4400.0, 192 << 10, 1),
    ("groupby-combine", 0.10, 2000.0, 64 << 10, 1),
]
GIB = 1 << 30


def lognormal(rng, mean, sigma=0.6):
    # exp(mu + sigma^2 / 2) = mean
    import math
    mu = math.log(mean) - sigma * sigma / 2
    return rng.lognormvariate(mu, sigma)


def make_data(ranks, ntasks, failure, empty, seed):
    rng = random.Random(seed)
    workers = 2
    threads = []
    for r in range(ranks):
        threads.append([r, 0, "scheduler"])
        for w in range(1, workers + 1):
            threads.append([r, w, "worker %d" % w])
    settings = [
        ["ranks", str(ranks)],
        ["threads per rank", ", ".join([str(workers)] * ranks)],
        ["memory limit per rank", "11.5 GiB"],
        ["memory target (spill above)", "60%"],
        ["spill directory", "/tmp/tessera-spill"],
        ["transport", "MPI (Open MPI 4.1.4), 4 MiB pieces"],
        ["version", "tessera 0.9.0"],
        ["command", "mpirun -n %d ./groupby_demo data/*.csv </dev/null" % ranks],
    ]
    data = {
        "title": "groupby_demo data/*.csv",
        "settings": settings,
        "ranks": ranks,
        "duration_us": 0.0,
        "threads": threads,
        "runs": [],
        "prefixes": [],
        "prefix_totals": [],
        "tasks": [],
        "transfers": [],
        "samples": [],
        "failure": None,
    }
    if empty:
        data["title"] = "groupby_demo (nothing computed)"
        return data

    data["prefixes"] = [p[0] for p in PREFIXES]
    counts = [max(1, int(round(ntasks * p[1]))) for p in PREFIXES]
    counts[-1] = max(1, ntasks - sum(counts[:-1]))
    data["prefix_totals"] = list(counts)
    # A few heavy partitions: their tasks are slower and their results bigger.
    nparts = max(1, counts[0])
    heavy = set(rng.sample(range(nparts), max(1, nparts // 50)))

    tasks = []
    transfers = []
    t_run_start = 3000.0
    runs = []
    failed_at = None
    fail_info = None
    # memory model per rank: bytes held in memory, spilled bytes
    mem_events = []  # (t, rank, delta_memory, delta_spilled)
    target = int(0.6 * 11.5 * GIB) // max(1, ranks) * 2  # small enough to spill in the demo
    for run in (0, 1):
        run_prefixes = [i for i, p in enumerate(PREFIXES) if p[4] == run]
        run_tasks = sum(counts[i] for i in run_prefixes)
        # worker threads per rank as a heap of (free at, tid)
        free = {r: [(t_run_start + rng.uniform(50, 400), w) for w in range(1, workers + 1)]
                for r in range(ranks)}
        for r in free:
            heapq.heapify(free[r])
        held = [0] * ranks
        for pi in run_prefixes:
            name, _, mean_us, mean_out, _ = PREFIXES[pi]
            for i in range(counts[pi]):
                part = i
                rank = part % ranks
                free_at, tid = heapq.heappop(free[rank])
                start = free_at + rng.uniform(3, 40)
                fetched = 0
                from_rank = -1
                if name in ("groupby-chunk", "groupby-combine") and ranks > 1:
                    # inputs from other ranks arrive on the scheduler thread first
                    senders = rng.sample([s for s in range(ranks) if s != rank],
                                         min(ranks - 1, 1 + (name == "groupby-combine")))
                    best = 0
                    for s in senders:
                        b = int(lognormal(rng, mean_out * 2.5))
                        dur = 40 + b / (2.5 * GIB) * 1e6  # ~2.5 GB/s
                        t_end = start - rng.uniform(2, 30)
                        t_begin = max(t_run_start, t_end - dur)
                        transfers.append([s, rank, b, round(t_begin, 1), round(t_end, 1),
                                          "('%s', %d)" % ("assign-7c1e" if name == "groupby-chunk"
                                                          else "groupby-chunk-a91f", part)])
                        fetched += b
                        if b > best:
                            best, from_rank = b, s
                dur = lognormal(rng, mean_us * (4 if part % nparts in heavy else 1))
                out = int(lognormal(rng, mean_out * (3 if part % nparts in heavy else 1), 0.4))
                spill_w = spill_r = 0
                spill_us = 0.0
                if held[rank] + out > target and name != "groupby-combine":
                    spill_w = out * 2
                    spill_us = spill_w / (1.2 * GIB) * 1e6
                    held[rank] -= spill_w
                    mem_events.append((start, rank, -spill_w, spill_w))
                if name == "groupby-chunk" and rng.random() < 0.2:
                    spill_r = int(out * 8)
                    spill_us += spill_r / (2.0 * GIB) * 1e6
                    mem_events.append((start, rank, spill_r, -spill_r))
                dur += spill_us
                end = start + dur
                held[rank] += out
                mem_events.append((end, rank, out, 0))
                prefix_tag = {"read_csv": "read_csv-3b0d", "assign": "assign-7c1e",
                              "groupby-chunk": "groupby-chunk-a91f",
                              "groupby-combine": "groupby-combine-55e2"}[name]
                key = "('%s', %d)" % (prefix_tag, part)
                failed = 0
                if failure and failed_at is None and name == "groupby-chunk" and i == counts[pi] // 3:
                    failed = 1
                    failed_at = end
                    fail_info = {"key": key, "rank": rank, "thread": tid,
                                 "message": "ValueError: could not convert string to float: 'n/a' "
                                            "(column 'price', row 1834 of data/part-%04d.csv)\n"
                                            "  raised in groupby_demo.cpp:88 (parse_price)" % part}
                tasks.append([rank, tid, pi, key, round(start, 1), round(end, 1), out, fetched,
                              from_rank, spill_w, spill_r, round(spill_us, 1), failed])
                heapq.heappush(free[rank], (end, tid))
        run_end = max(max(t for t, _ in free[r]) for r in free)
        run_start = t_run_start
        if failed_at is not None:
            run_end = failed_at + 800
        runs.append([round(run_start, 1), round(run_end, 1), run_tasks])
        t_run_start = run_end + rng.uniform(20000, 60000)  # the program between two compute()s
        if failed_at is not None:
            break

    if failed_at is not None:
        # The run stops: nothing starts after the failure (the rest is cancelled).
        tasks = [t for t in tasks if t[4] <= failed_at]
        transfers = [t for t in transfers if t[3] <= failed_at]
        data["failure"] = fail_info

    duration = max([r[1] for r in runs] + [t[5] for t in tasks]) + 2000.0
    tasks.sort(key=lambda t: t[4])
    transfers.sort(key=lambda t: t[3])

    # Resource samples every 100 ms per rank.
    step = 100000.0
    nbins = int(duration // step) + 1
    busy = [[0.0] * nbins for _ in range(ranks)]
    for t in tasks:
        a, b = t[4], t[5]
        while a < b:
            k = int(a // step)
            edge = min(b, (k + 1) * step)
            busy[t[0]][k] += edge - a
            a = edge
    mem_events.sort()
    samples = []
    mem = [0] * ranks
    spilled = [0] * ranks
    ei = 0
    base_rss = [int(rng.uniform(180, 260) * (1 << 20)) for _ in range(ranks)]
    for k in range(nbins):
        t = k * step + rng.uniform(0, 3000)
        while ei < len(mem_events) and mem_events[ei][0] <= t:
            _, r, dm, ds = mem_events[ei]
            mem[r] = max(0, mem[r] + dm)
            spilled[r] = max(0, spilled[r] + ds)
            ei += 1
        for r in range(ranks):
            cpu = min(100.0 * workers, 100.0 * busy[r][k] / step + rng.uniform(0, 6))
            rss = base_rss[r] + int(mem[r] * 1.15) + int(rng.uniform(0, 8 << 20))
            samples.append([r, round(t, 1), rss, round(cpu, 1), mem[r], spilled[r]])

    data.update({
        "duration_us": round(duration, 1),
        "runs": runs,
        "tasks": tasks,
        "transfers": transfers,
        "samples": samples,
    })
    return data


def build_page(data, template_path=TEMPLATE, report_js_path=REPORT_JS, d3_path=D3):
    """What the C++ does: each placeholder replaced once, in one pass (so text
    inside one replacement is never taken for another placeholder)."""
    with open(template_path, encoding="utf-8") as f:
        template = f.read()
    for p in PLACEHOLDERS:
        n = template.count(p)
        if n != 1:
            sys.exit("%s: placeholder %s appears %d times (want 1)" % (template_path, p, n))
    with open(d3_path, encoding="utf-8") as f:
        d3 = f.read()
    with open(report_js_path, encoding="utf-8") as f:
        report_js = f.read()
    for bad in ("</script", "<!--", "<script"):
        if bad in report_js.lower():
            sys.exit("%s contains %s: inlined in a <script> element it would change where that "
                     "element ends" % (report_js_path, bad))
    data_js = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
    replacement = {PLACEHOLDERS[0]: d3, PLACEHOLDERS[1]: data_js, PLACEHOLDERS[2]: report_js}
    pattern = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
    return pattern.sub(lambda m: replacement[m.group(0)], template)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--ranks", type=int, default=4)
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--failure", action="store_true", help="one task fails and the run stops")
    ap.add_argument("--empty", action="store_true", help="no tasks, transfers, samples or runs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-out", help="also write the DATA object as JSON here")
    args = ap.parse_args()
    if args.ranks < 1:
        sys.exit("--ranks must be at least 1")
    data = make_data(args.ranks, max(0, args.tasks), args.failure, args.empty or args.tasks == 0,
                     args.seed)
    page = build_page(data)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(page)
    if args.data_out:
        with open(args.data_out, "w", encoding="utf-8") as f:
            json.dump(data, f)
    print("%s: %d ranks, %d tasks, %d transfers, %d samples, %.1f MB" % (
        args.out, data["ranks"], len(data["tasks"]), len(data["transfers"]),
        len(data["samples"]), len(page.encode("utf-8")) / 1e6))


if __name__ == "__main__":
    main()
