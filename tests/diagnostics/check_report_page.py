#!/usr/bin/python3
"""Check that a Tessera performance report page draws in a real browser.

Usage: check_report_page.py REPORT.html --ranks N --screenshot OUT.png [--expect-failure]

Loads the page in Debian's headless chromium and reads what report.js leaves on
<body>: data-status must be "ok", data-charts must be EXPECTED_CHARTS (and every
element with class "chart" must carry data-drawn="1"), data-ranks must hold every
rank 0..N-1, and the page must log no error to the console. With --expect-failure
the failure banner (#failure-banner) must be there; without it, it must not.
Then a second chromium call takes a screenshot, which must be a non-empty PNG.

Exit 0 when all holds, 1 with the reasons otherwise (also when chromium is not
installed: this check never skips).
"""

import argparse
import html.parser
import os
import shutil
import subprocess
import sys
import tempfile
import time

# The charts report.js draws (its CHARTS list): stream, progress, ranks, bytes,
# memory, spill, cpu.
EXPECTED_CHARTS = 7
TIMEOUT_S = 60

# chromium's own noise on stderr (no D-Bus, no GPU, sandbox warnings ...), never the page's.
NOISE = ("dbus/", "gpu", "viz", "sandbox", "vaapi", "bluez", "idle_linux", "ui/base", "fontconfig")


class PageState(html.parser.HTMLParser):
    """The attributes report.js sets, from chromium's --dump-dom."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.body = None
        self.charts = []          # (id, attrs) of the elements with class "chart"
        self.failure_banner = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body" and self.body is None:
            self.body = a
        if "chart" in (a.get("class") or "").split():
            self.charts.append((a.get("id", "?"), a))
        if a.get("id") == "failure-banner":
            self.failure_banner = True


def chromium_binary():
    return shutil.which("chromium")


def run_chromium(args, profile_dir):
    cmd = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu",
           "--user-data-dir=" + profile_dir, "--no-first-run"] + args
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        sys.exit("FAIL: chromium did not finish within %d s: %s" % (TIMEOUT_S, " ".join(cmd)))


def console_errors(stderr_text):
    """The page's errors as chromium logs them: 'Uncaught ...' (an exception no one
    caught) and CONSOLE lines that say error. (This chromium logs console.error at
    the same level as console.log, so the template also counts console.error calls
    in body[data-console-errors].)"""
    bad = []
    for line in stderr_text.splitlines():
        low = line.lower()
        page_line = "CONSOLE" in line
        if not page_line and any(n in low for n in NOISE):
            continue
        if "Uncaught" in line or (page_line and "error" in low):
            bad.append(line.strip())
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report")
    ap.add_argument("--ranks", type=int, required=True, help="ranks 0..N-1 must appear in the task stream")
    ap.add_argument("--screenshot", required=True, help="where to write the PNG")
    ap.add_argument("--expect-failure", action="store_true", help="the page must show the failure banner")
    args = ap.parse_args()

    if chromium_binary() is None:
        sys.exit("FAIL: chromium is not installed (Debian package 'chromium'): cannot check %s" % args.report)
    report = os.path.abspath(args.report)
    if not os.path.isfile(report):
        sys.exit("FAIL: no such file: %s" % report)
    url = "file://" + report
    # report.js empties its inlined d3 and DATA after drawing when it sees this
    # fragment: --dump-dom then has kilobytes to send back, not the whole DATA.
    check_url = url + "#tessera-check"
    problems = []

    with tempfile.TemporaryDirectory(prefix="tessera-report-check-") as profile:
        began = time.monotonic()
        proc = run_chromium(["--dump-dom", "--virtual-time-budget=5000", "--enable-logging=stderr",
                             "--v=0", check_url], os.path.join(profile, "dom"))
        dom_seconds = time.monotonic() - began
        stderr_text = proc.stderr.decode("utf-8", "replace")
        dom = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 0:
            problems.append("chromium --dump-dom exited with %d" % proc.returncode)

        state = PageState()
        state.feed(dom)
        state.close()
        body = state.body
        if body is None:
            problems.append("the dumped DOM has no <body> (%d bytes of output); chromium said:\n%s"
                            % (len(dom), stderr_text[-2000:]))
            body = {}

        status = body.get("data-status")
        if status != "ok":
            problems.append("page status is %r, not 'ok'" % status)

        charts = body.get("data-charts")
        if charts != str(EXPECTED_CHARTS):
            problems.append("%s charts drew, want %d" % (charts, EXPECTED_CHARTS))
        if len(state.charts) != EXPECTED_CHARTS:
            problems.append("the page has %d elements with class 'chart', want %d (update EXPECTED_CHARTS "
                            "with report.js's CHARTS)" % (len(state.charts), EXPECTED_CHARTS))
        undrawn = [cid for cid, a in state.charts if a.get("data-drawn") != "1"]
        if undrawn:
            problems.append("charts not drawn: " + ", ".join(undrawn))

        ranks_text = body.get("data-ranks") or ""
        shown = set()
        for r in ranks_text.split(","):
            if r.strip().lstrip("-").isdigit():
                shown.add(int(r))
        missing = [r for r in range(args.ranks) if r not in shown]
        if missing:
            problems.append("ranks missing from the task stream: %s (data-ranks=%r)"
                            % (",".join(map(str, missing)), ranks_text))

        if body.get("data-console-errors"):
            problems.append("the page called console.error %s time(s)" % body["data-console-errors"])
        for line in console_errors(stderr_text):
            problems.append("console error: " + line)

        if args.expect_failure and not (state.failure_banner and body.get("data-failure") == "1"):
            problems.append("--expect-failure: the failure banner (#failure-banner) is missing")
        if not args.expect_failure and state.failure_banner:
            problems.append("the page shows a failure banner, but --expect-failure was not given")

        # The screenshot, as a person would see the page.
        shot = os.path.abspath(args.screenshot)
        if os.path.exists(shot):
            os.remove(shot)
        began = time.monotonic()
        proc = run_chromium(["--screenshot=" + shot, "--window-size=1400,3600", "--hide-scrollbars",
                             "--virtual-time-budget=5000", url], os.path.join(profile, "shot"))
        shot_seconds = time.monotonic() - began
        if not os.path.isfile(shot) or os.path.getsize(shot) == 0:
            problems.append("no screenshot at %s (chromium exited with %d)" % (shot, proc.returncode))
        else:
            with open(shot, "rb") as f:
                if f.read(8) != b"\x89PNG\r\n\x1a\n":
                    problems.append("%s is not a PNG" % shot)

    summary = ("status=%s charts=%s ranks=%s failure-banner=%s; report.js drew in %s ms; "
               "chromium %.1f s (dom) + %.1f s (screenshot)") % (
        status, charts, ranks_text, "yes" if state.failure_banner else "no", body.get("data-draw-ms", "?"),
        dom_seconds, shot_seconds)
    if problems:
        print("FAIL: %s" % args.report, file=sys.stderr)
        for p in problems:
            print("  - " + p, file=sys.stderr)
        print("  (%s)" % summary, file=sys.stderr)
        return 1
    print("OK: %s: %s; screenshot %s" % (args.report, summary, shot))
    return 0


if __name__ == "__main__":
    sys.exit(main())
