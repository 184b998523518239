/*
 * Tessera performance report: draws the page of lib/diagnostics/report_template.html
 * from DATA with d3 v3 (Debian's libjs-d3 3.5.17: d3.scale.linear(), d3.svg.axis() ...).
 * The C++ `--report FILE.html` writer inlines d3, this DATA object and this file into
 * the template; tests/diagnostics/make_sample_report.py does the same with synthetic data.
 *
 * DATA schema (times in microseconds from the profile's start; bytes as numbers):
 * {
 *   "title": "tessera demo",                       // what ran (the command line or program name)
 *   "settings": [["ranks", "2"], ["threads per rank", "2, 2"], ["memory limit per rank", "11.5 GiB"], ["version", "tessera 0.9.0"], ...],  // [name, value] strings
 *   "ranks": 2,
 *   "duration_us": 1234567.0,                      // the profile's span
 *   "threads": [[0, 0, "scheduler"], [0, 1, "worker 1"], [0, 2, "worker 2"], [1, 0, "scheduler"], ...],  // [rank, tid, name]
 *   "runs": [[start_us, end_us, tasks], ...],     // each compute() the profile saw (from rank 0)
 *   "prefixes": ["read_csv", "groupby-chunk", "groupby-agg"],
 *   "prefix_totals": [120, 120, 1],               // tasks per prefix in the graphs run (same order as prefixes)
 *   "tasks": [[rank, tid, prefix_index, "key text", start_us, end_us, out_bytes, fetched_bytes, from_rank, spill_write_bytes, spill_read_bytes, spill_us, failed], ...],
 *         // from_rank: the rank that sent most of the task's fetched input bytes, -1 when none; failed: 0 or 1
 *   "transfers": [[from_rank, to_rank, bytes, start_us, end_us, "key text"], ...],   // times as the receiver saw them
 *   "samples": [[rank, t_us, rss_bytes, cpu_percent, memory_bytes, spilled_bytes], ...],  // resource monitor, ~10/s per rank
 *   "failure": null                               // or {"key": "('load', 3)", "rank": 1, "thread": 2, "message": "..."}
 * }
 *
 * What a test reads off the page (tests/diagnostics/check_report_page.py):
 *   body[data-status]  "loading" until this file finishes, then "ok", or "error: <message>"
 *                      as soon as anything throws (window.onerror and a try/catch per chart);
 *   body[data-charts]  how many of the CHARTS below drew; each chart's element (class
 *                      "chart") gets data-drawn="1" (also when it only says "none");
 *   body[data-ranks]   the ranks that have a row in the task stream, sorted, comma separated;
 *   body[data-failure] "1" when DATA.failure is set, and the banner is #failure-banner.
 * The page never writes to the console; the template counts console.error calls in
 * body[data-console-errors].
 */
(function () {
  "use strict";

  // The charts, in page order; check_report_page.py expects this many.
  var CHARTS = ["chart-stream", "chart-progress", "chart-ranks", "chart-bytes",
                "chart-memory", "chart-spill", "chart-cpu"];
  var TABLES = ["table-slowest", "table-biggest", "table-settings", "table-runs"];

  // Columns of DATA.tasks, DATA.transfers and DATA.samples.
  var T_RANK = 0, T_TID = 1, T_PREFIX = 2, T_KEY = 3, T_START = 4, T_END = 5, T_OUT = 6,
      T_FETCHED = 7, T_FROM = 8, T_SPILL_W = 9, T_SPILL_R = 10, T_SPILL_US = 11, T_FAILED = 12;
  var X_FROM = 0, X_TO = 1, X_BYTES = 2, X_START = 3, X_END = 4, X_KEY = 5;
  var S_RANK = 0, S_T = 1, S_RSS = 2, S_CPU = 3, S_MEMORY = 4, S_SPILLED = 5;

  var body = document.body;
  var firstError = null;

  function setError(message) {
    if (firstError === null) firstError = String(message);
    body.dataset.status = "error: " + firstError;
  }

  window.onerror = function (message, source, line) {
    setError(String(message) + (line ? " (line " + line + ")" : ""));
    return false;  // still reported to the console, where a test sees "Uncaught"
  };

  // ---------------------------------------------------------------- formatting

  var fmtCount = d3.format(",d");

  function fmtBytes(b) {
    if (!(b > 0)) return "0 B";
    var units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    var text = i === 0 ? b.toFixed(0) : b >= 100 ? b.toFixed(0) : b >= 10 ? b.toFixed(1) : b.toFixed(2);
    return text + " " + units[i];
  }

  function sig3(x) {
    return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  }

  // A duration in microseconds.
  function fmtDur(us) {
    if (!(us > 0)) return "0 s";
    if (us < 1000) return sig3(us) + " \u00b5s";
    if (us < 1e6) return sig3(us / 1000) + " ms";
    if (us < 600e6) return sig3(us / 1e6) + " s";
    var s = Math.round(us / 1e6);
    return Math.floor(s / 60) + " min " + (s % 60) + " s";
  }

  // Seconds with a precision that suits the span shown.
  function fmtSeconds(us) {
    return (us / 1e6).toFixed(us >= 100e6 ? 1 : us >= 1e6 ? 2 : 3) + " s";
  }

  // An axis unit for bytes: the values are divided by unit.size and labelled unit.name.
  function byteUnit(max) {
    var names = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], i = 0, size = 1;
    while (max >= 1024 * size && i < names.length - 1) { size *= 1024; i++; }
    return { size: size, name: names[i] };
  }

  function trimNumber(x) {
    return String(+x.toFixed(2));
  }

  function clamp(x, lo, hi) { return Math.max(lo, Math.min(hi, x)); }

  function arr(x) { return Array.isArray(x) ? x : []; }

  function num(x) { x = +x; return isFinite(x) ? x : 0; }

  // ---------------------------------------------------------------- data

  if (typeof DATA !== "object" || DATA === null) throw new Error("DATA is missing or not an object");
  var D = DATA;
  var tasks = arr(D.tasks), transfers = arr(D.transfers), samples = arr(D.samples);
  var threads = arr(D.threads), runs = arr(D.runs), settings = arr(D.settings);
  var prefixes = arr(D.prefixes), prefixTotals = arr(D.prefix_totals);
  var nTasks = tasks.length;

  var nRanks = Math.max(0, D.ranks | 0);
  threads.forEach(function (t) { nRanks = Math.max(nRanks, (t[0] | 0) + 1); });
  var nPrefixes = prefixes.length;
  var maxEnd = 0;
  var failedTasks = [];
  for (var i = 0; i < nTasks; i++) {
    var t = tasks[i];
    nRanks = Math.max(nRanks, (t[T_RANK] | 0) + 1);
    nPrefixes = Math.max(nPrefixes, (t[T_PREFIX] | 0) + 1);
    if (t[T_END] > maxEnd) maxEnd = t[T_END];
    if (t[T_FAILED]) failedTasks.push(i);
  }
  transfers.forEach(function (x) {
    nRanks = Math.max(nRanks, (x[X_FROM] | 0) + 1, (x[X_TO] | 0) + 1);
    if (x[X_END] > maxEnd) maxEnd = x[X_END];
  });
  samples.forEach(function (s) {
    nRanks = Math.max(nRanks, (s[S_RANK] | 0) + 1);
    if (s[S_T] > maxEnd) maxEnd = s[S_T];
  });
  var durationUs = num(D.duration_us) > 0 ? num(D.duration_us) : maxEnd;
  // The time axes' span: one second when nothing was recorded.
  var spanUs = Math.max(durationUs, maxEnd) || 1e6;

  function prefixName(p) {
    return prefixes[p] !== undefined ? String(prefixes[p]) : "prefix " + p;
  }

  var threadNames = {};
  threads.forEach(function (t) { threadNames[(t[0] | 0) + ":" + (t[1] | 0)] = String(t[2]); });
  function threadName(rank, tid) {
    var name = threadNames[rank + ":" + tid];
    return name !== undefined ? name : "thread " + tid;
  }

  // Prefix colours: d3's category10 without its red (failures) and grey (transfers),
  // category20 when there are more prefixes than that.
  var palette = nPrefixes <= 8
    ? ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
    : d3.scale.category20().range();
  function prefixColor(p) { return palette[p % palette.length]; }
  var rankColors = d3.scale.category10().range();
  function rankColor(r) { return rankColors[r % rankColors.length]; }
  var FAILED_COLOR = "#d62728";
  var TRANSFER_COLOR = "rgba(96, 96, 96, 0.55)";

  var tooltip = d3.select("#tooltip");

  function showTooltip(lines, event) {
    tooltip.selectAll("*").remove();
    lines.forEach(function (line, k) {
      var el = tooltip.append(k === 0 ? "span" : "div").text(line.text !== undefined ? line.text : line);
      if (k === 0) el.attr("class", "key");
      if (line.cls) el.attr("class", line.cls);
    });
    tooltip.style("display", "block");
    var node = tooltip.node();
    var w = node.offsetWidth, h = node.offsetHeight;
    var x = event.clientX + 14, y = event.clientY + 14;
    if (x + w > window.innerWidth - 4) x = Math.max(4, event.clientX - w - 14);
    if (y + h > window.innerHeight - 4) y = Math.max(4, event.clientY - h - 14);
    tooltip.style("left", x + "px").style("top", y + "px");
  }

  function hideTooltip() { tooltip.style("display", "none"); }

  function none(el, text) {
    el.append("div").attr("class", "none").text(text);
    el.attr("data-empty", "1");
  }

  function chartWidth(el) {
    return Math.max(360, Math.floor(el.node().clientWidth || 900));
  }

  function legendItem(legend, color, text, kind, count) {
    var item = legend.append("span").attr("class", "item");
    var swatch = item.append("i");
    if (kind === "line" || kind === "dash") swatch.attr("class", kind).style("border-top-color", color);
    else if (kind === "outline") swatch.attr("class", "outline");
    else swatch.style("background", color);
    item.append("span").text(text);
    if (count !== undefined) item.append("span").attr("class", "count").text(count);
  }

  // ---------------------------------------------------------------- header

  function drawHeader() {
    var title = D.title ? String(D.title) : "";
    d3.select("#title").text(title ? "\u2014 " + title : "");
    document.title = "Tessera report" + (title ? ": " + title : "");

    var workers = 0;
    threads.forEach(function (t) { if (/^worker/.test(String(t[2]))) workers++; });
    var bytesMoved = 0;
    transfers.forEach(function (x) { bytesMoved += num(x[X_BYTES]); });

    var summary = d3.select("#summary").text("");
    var first = true;
    function part(pieces) {
      if (!first) summary.append("span").text(" \u00b7 ");
      first = false;
      pieces.forEach(function (p, k) {
        if (k % 2 === 0) summary.append("b").text(p);
        else summary.append("span").text(p);
      });
    }
    part([String(nRanks), nRanks === 1 ? " rank" : " ranks"]);
    if (workers) part([String(workers), " worker threads"]);
    var failedText = failedTasks.length ? " (" + failedTasks.length + " failed)" : "";
    part([fmtCount(nTasks), (nTasks === 1 ? " task" : " tasks") + failedText]);
    part(["", "wall time ", fmtSeconds(durationUs)]);
    part([fmtBytes(bytesMoved), " moved between ranks in ", fmtCount(transfers.length),
          transfers.length === 1 ? " transfer" : " transfers"]);
    part([String(runs.length), runs.length === 1 ? " compute() call" : " compute() calls"]);
  }

  function drawFailure() {
    var f = D.failure;
    if (!f) return;
    body.dataset.failure = "1";
    var banner = d3.select("#failure-slot").append("div").attr("id", "failure-banner").attr("role", "alert");
    banner.append("h2").text("The run failed");
    var where = banner.append("p").attr("class", "where");
    where.append("span").text("Task ");
    where.append("code").text(f.key !== undefined ? String(f.key) : "(unknown)");
    var rank = f.rank !== undefined ? f.rank : "?";
    var tid = f.thread !== undefined ? f.thread : "?";
    var name = threadNames[rank + ":" + tid];
    var when = "";
    failedTasks.forEach(function (i) {
      var t = tasks[i];
      if (!when && String(t[T_KEY]) === String(f.key)) {
        when = " after " + fmtDur(num(t[T_END]) - num(t[T_START])) + ", " + fmtSeconds(num(t[T_END])) + " into the profile";
      }
    });
    where.append("span").text(" failed on rank " + rank + ", thread " + tid + (name ? " (" + name + ")" : "") + when + ":");
    banner.append("pre").text(f.message !== undefined ? String(f.message) : "(no message)");
  }

  // ---------------------------------------------------------------- task stream

  function drawStream(el) {
    // Rows: every thread DATA names, and any (rank, tid) a task ran on.
    var rowOf = {};
    var rows = [];
    function addRow(rank, tid) {
      var id = rank + ":" + tid;
      if (rowOf[id] === undefined) {
        rowOf[id] = rows.length;
        rows.push({ rank: rank, tid: tid, name: threadName(rank, tid) });
      }
      return rowOf[id];
    }
    threads.forEach(function (t) { addRow(t[0] | 0, t[1] | 0); });
    for (var i = 0; i < nTasks; i++) addRow(tasks[i][T_RANK] | 0, tasks[i][T_TID] | 0);
    rows.sort(function (a, b) { return a.rank - b.rank || a.tid - b.tid; });
    rows.forEach(function (r, k) { rowOf[r.rank + ":" + r.tid] = k; });

    var ranksShown = d3.set(rows.map(function (r) { return r.rank; })).values()
      .map(Number).sort(d3.ascending);
    body.dataset.ranks = ranksShown.join(",");

    var legend = d3.select("#stream-legend");
    legend.selectAll("*").remove();
    if (!rows.length) { none(el, "none: no threads and no tasks"); return; }
    if (!nTasks && !transfers.length) none(el, "none: no tasks ran (the threads each rank had are below)");

    // Columns of the tasks, and each row's tasks sorted by start.
    var starts = new Float64Array(nTasks), ends = new Float64Array(nTasks);
    var pref = new Int32Array(nTasks), rowOfTask = new Int32Array(nTasks);
    var perRow = new Int32Array(rows.length), perPrefix = new Int32Array(Math.max(1, nPrefixes));
    for (i = 0; i < nTasks; i++) {
      var t = tasks[i];
      starts[i] = num(t[T_START]);
      ends[i] = Math.max(starts[i], num(t[T_END]));
      pref[i] = t[T_PREFIX] | 0;
      rowOfTask[i] = rowOf[(t[T_RANK] | 0) + ":" + (t[T_TID] | 0)];
      perRow[rowOfTask[i]]++;
      perPrefix[pref[i]]++;
    }
    var rowTasks = rows.map(function (r, k) { return new Int32Array(perRow[k]); });
    var fill = new Int32Array(rows.length);
    for (i = 0; i < nTasks; i++) rowTasks[rowOfTask[i]][fill[rowOfTask[i]]++] = i;
    rowTasks.forEach(function (list) {
      list.sort(function (a, b) { return starts[a] - starts[b]; });
    });

    // Transfers on the receiving rank's scheduler row.
    var schedulerRow = {};
    rows.forEach(function (r, k) { if (r.name === "scheduler") schedulerRow[r.rank] = k; });
    var rowTransfers = rows.map(function () { return []; });
    transfers.forEach(function (x, k) {
      var row = schedulerRow[x[X_TO] | 0];
      if (row !== undefined) rowTransfers[row].push(k);
    });
    rowTransfers.forEach(function (list) {
      list.sort(function (a, b) { return transfers[a][X_START] - transfers[b][X_START]; });
    });
    var drawnTransfers = rowTransfers.reduce(function (n, l) { return n + l.length; }, 0);

    for (var p = 0; p < nPrefixes; p++) {
      legendItem(legend, prefixColor(p), prefixName(p), "box", fmtCount(perPrefix[p] || 0));
    }
    if (drawnTransfers) legendItem(legend, TRANSFER_COLOR, "transfer received", "box");
    if (failedTasks.length) legendItem(legend, FAILED_COLOR, "failed", "outline");

    // Layout: rows grouped by rank with a gap between ranks.
    var left = 150, right = 12, top = 8, axisH = 34;
    var rowH = clamp(Math.floor(560 / rows.length), 4, 20);
    var rankGap = rows.length > 60 ? 2 : 6;
    var y = 0;
    rows.forEach(function (r, k) {
      if (k > 0 && rows[k - 1].rank !== r.rank) y += rankGap;
      r.y = y;
      y += rowH;
    });
    var plotH = y;
    var width = chartWidth(el), plotW = width - left - right;
    var barPad = rowH >= 10 ? 2 : rowH >= 6 ? 1 : 0;
    var barH = rowH - 2 * barPad;

    var wrap = el.append("div").attr("class", "stream-wrap")
      .style("width", width + "px").style("height", (top + plotH + axisH) + "px");
    var svg = wrap.append("svg").attr("width", width).attr("height", top + plotH + axisH);
    var g = svg.append("g").attr("transform", "translate(" + left + "," + top + ")");

    // Alternating bands per rank, row labels.
    var rankSpans = d3.nest().key(function (r) { return r.rank; }).entries(rows);
    rankSpans.forEach(function (span, k) {
      var a = span.values[0], b = span.values[span.values.length - 1];
      g.append("rect").attr("x", -left + 4).attr("y", a.y - rankGap / 2 + 1)
        .attr("width", plotW + left - 4).attr("height", b.y + rowH - a.y + rankGap - 2)
        .attr("fill", k % 2 ? "#f4f6f9" : "#fbfcfd");
    });
    var labelSize = Math.min(12, rowH - 1);
    if (rowH >= 9) {
      g.selectAll("text.row").data(rows).enter().append("text").attr("class", "label row")
        .attr("x", -8).attr("y", function (r) { return r.y + rowH / 2; }).attr("dy", "0.35em")
        .attr("text-anchor", "end").style("font-size", labelSize + "px")
        .text(function (r) { return "rank " + r.rank + " \u00b7 " + r.name; });
    } else {
      // Too many rows for a label each: one per rank.
      g.selectAll("text.row").data(rankSpans).enter().append("text").attr("class", "label row")
        .attr("x", -8).attr("y", function (s) {
          var a = s.values[0], b = s.values[s.values.length - 1];
          return (a.y + b.y + rowH) / 2;
        }).attr("dy", "0.35em").attr("text-anchor", "end").style("font-size", "11px")
        .text(function (s) { return "rank " + s.key + " \u00b7 " + s.values.length + " threads"; });
    }

    var full = [0, spanUs];
    var x = d3.scale.linear().domain(full).range([0, plotW]);
    var ticks = Math.max(2, Math.floor(plotW / 90));
    var grid = g.append("g").attr("class", "grid");
    var axisG = g.append("g").attr("class", "axis").attr("transform", "translate(0," + (plotH + 2) + ")");
    svg.append("text").attr("class", "axis-title").attr("x", left + plotW).attr("y", top + plotH + axisH - 2)
      .attr("text-anchor", "end").text("seconds since the profile started");
    // compute() boundaries
    var runMarks = g.append("g");

    function drawAxes() {
      var sx = d3.scale.linear().domain(x.domain().map(function (v) { return v / 1e6; })).range(x.range());
      axisG.call(d3.svg.axis().scale(sx).orient("bottom").ticks(ticks).tickFormat(sx.tickFormat(ticks)));
      grid.call(d3.svg.axis().scale(sx).orient("bottom").ticks(ticks).tickSize(plotH).tickFormat(""));
      var marks = [];
      runs.forEach(function (run) { marks.push(num(run[0])); });
      var d = x.domain();
      marks = marks.filter(function (m) { return m > d[0] && m < d[1]; });
      var sel = runMarks.selectAll("line").data(marks);
      sel.enter().append("line").attr("stroke", "#9aa5b1").attr("stroke-dasharray", "3,3");
      sel.exit().remove();
      sel.attr("x1", x).attr("x2", x).attr("y1", 0).attr("y2", plotH);
    }

    // The canvas reaches PAD px above the first row, for the failed tasks' marks.
    var PAD = 8;
    var canvas = wrap.append("canvas")
      .style("left", left + "px").style("top", (top - PAD) + "px")
      .style("width", plotW + "px").style("height", (plotH + PAD) + "px");
    var dpr = window.devicePixelRatio || 1;
    canvas.attr("width", Math.round(plotW * dpr)).attr("height", Math.round((plotH + PAD) * dpr));
    var ctx = canvas.node().getContext("2d");
    var colors = [];
    for (p = 0; p < nPrefixes; p++) colors.push(prefixColor(p));

    function draw() {
      var d = x.domain(), t0 = d[0], t1 = d[1], k = plotW / (t1 - t0);
      ctx.setTransform(dpr, 0, 0, dpr, 0, PAD * dpr);
      ctx.clearRect(0, -PAD, plotW, plotH + PAD);
      for (var r = 0; r < rows.length; r++) {
        var list = rowTasks[r], yy = rows[r].y + barPad;
        var segP = -1, segX0 = 0, segX1 = 0;
        for (var j = 0; j < list.length; j++) {
          var ti = list[j], s = starts[ti];
          if (s > t1) break;
          var e = ends[ti];
          if (e < t0) continue;
          var x0 = (s - t0) * k, x1 = (e - t0) * k, p = pref[ti];
          if (x1 - x0 >= 3) {
            // Wide enough to see on its own: drawn alone with a 1px gap after it.
            if (segP >= 0) { ctx.fillStyle = colors[segP]; ctx.fillRect(segX0, yy, segX1 - segX0, barH); segP = -1; }
            ctx.fillStyle = colors[p];
            ctx.fillRect(x0, yy, x1 - x0 - 1, barH);
            continue;
          }
          if (x1 - x0 < 1) x1 = x0 + 1;
          if (p === segP && x0 <= segX1 + 0.5) {
            if (x1 > segX1) segX1 = x1;
          } else {
            if (segP >= 0) { ctx.fillStyle = colors[segP]; ctx.fillRect(segX0, yy, segX1 - segX0, barH); }
            segP = p; segX0 = x0; segX1 = x1;
          }
        }
        if (segP >= 0) { ctx.fillStyle = colors[segP]; ctx.fillRect(segX0, yy, segX1 - segX0, barH); }

        var xl = rowTransfers[r];
        if (xl.length) {
          ctx.fillStyle = TRANSFER_COLOR;
          var th = Math.max(2, Math.round(barH / 3)), ty = rows[r].y + (rowH - th) / 2;
          for (j = 0; j < xl.length; j++) {
            var tr = transfers[xl[j]], a = num(tr[X_START]), b = num(tr[X_END]);
            if (a > t1) break;
            if (b < t0) continue;
            var w = Math.max(1, (b - a) * k);
            ctx.fillRect((a - t0) * k, ty, w, th);
          }
        }
      }
      // Failed tasks: a red outline at least 6px wide, and a red mark above it, so
      // they show at any zoom (kept inside the canvas at its edges).
      ctx.strokeStyle = FAILED_COLOR;
      ctx.fillStyle = FAILED_COLOR;
      ctx.lineWidth = 2;
      failedTasks.forEach(function (ti) {
        if (ends[ti] < t0 || starts[ti] > t1) return;
        var row = rows[rowOfTask[ti]];
        var x0 = (starts[ti] - t0) * k, x1 = Math.max(x0 + 6, (ends[ti] - t0) * k);
        x0 = clamp(x0, 1, plotW - 7); x1 = clamp(x1, x0 + 6, plotW - 1);
        ctx.strokeRect(x0, row.y + 1, x1 - x0, rowH - 2);
        var mx = (x0 + x1) / 2, my = row.y;
        ctx.beginPath();
        ctx.moveTo(mx - 5, my - 7); ctx.lineTo(mx + 5, my - 7); ctx.lineTo(mx, my);
        ctx.closePath();
        ctx.fill();
      });
    }

    // Hover: the task (or transfer) under the mouse.
    function rowAt(my) {
      for (var r = 0; r < rows.length; r++) {
        if (my >= rows[r].y && my < rows[r].y + rowH) return r;
      }
      return -1;
    }

    function lastStartingBy(list, startOf, t) {
      var lo = 0, hi = list.length;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (startOf(list[mid]) <= t) lo = mid + 1; else hi = mid;
      }
      return lo - 1;
    }

    function taskAt(r, t, tol) {
      var list = rowTasks[r];
      var j = lastStartingBy(list, function (ti) { return starts[ti]; }, t + tol);
      var best = -1, bestDist = Infinity;
      for (var n = 0; j >= 0 && n < 64; j--, n++) {
        var ti = list[j];
        var dist = t < starts[ti] ? starts[ti] - t : t > ends[ti] ? t - ends[ti] : 0;
        if (dist <= tol && dist < bestDist) { best = ti; bestDist = dist; if (dist === 0) break; }
      }
      return best;
    }

    function transferAt(r, t, tol) {
      var list = rowTransfers[r];
      var j = lastStartingBy(list, function (k) { return num(transfers[k][X_START]); }, t + tol);
      for (var n = 0; j >= 0 && n < 2000; j--, n++) {
        var tr = transfers[list[j]];
        if (num(tr[X_END]) >= t - tol) return list[j];
      }
      return -1;
    }

    function describeTask(ti) {
      var t = tasks[ti];
      var lines = [String(t[T_KEY])];
      lines.push(prefixName(pref[ti]) + " \u00b7 rank " + t[T_RANK] + " \u00b7 " + threadName(t[T_RANK] | 0, t[T_TID] | 0));
      lines.push("duration " + fmtDur(ends[ti] - starts[ti]) + " (from " + fmtSeconds(starts[ti]) + " to " + fmtSeconds(ends[ti]) + ")");
      lines.push("output " + fmtBytes(num(t[T_OUT])));
      if (num(t[T_FETCHED]) > 0) {
        lines.push("fetched " + fmtBytes(num(t[T_FETCHED])) +
                   (t[T_FROM] >= 0 ? " (most from rank " + t[T_FROM] + ")" : ""));
      }
      if (num(t[T_SPILL_W]) > 0 || num(t[T_SPILL_R]) > 0 || num(t[T_SPILL_US]) > 0) {
        lines.push("spill: " + fmtBytes(num(t[T_SPILL_W])) + " written, " + fmtBytes(num(t[T_SPILL_R])) +
                   " read, " + fmtDur(num(t[T_SPILL_US])));
      }
      if (t[T_FAILED]) lines.push({ text: "FAILED", cls: "bad" });
      return lines;
    }

    function describeTransfer(k) {
      var tr = transfers[k], dur = num(tr[X_END]) - num(tr[X_START]);
      var lines = [String(tr[X_KEY])];
      lines.push("transfer rank " + tr[X_FROM] + " \u2192 rank " + tr[X_TO]);
      lines.push(fmtBytes(num(tr[X_BYTES])) + " in " + fmtDur(dur) +
                 (dur > 0 ? " (" + fmtBytes(num(tr[X_BYTES]) / (dur / 1e6)) + "/s)" : ""));
      return lines;
    }

    var brush = wrap.append("div").attr("class", "brush")
      .style("top", top + "px").style("height", plotH + "px");
    var dragFrom = null;

    canvas.on("mousemove", function () {
      var m = d3.mouse(this), ev = d3.event;
      if (dragFrom !== null) {
        var a = Math.min(dragFrom, m[0]), b = Math.max(dragFrom, m[0]);
        brush.style("display", "block").style("left", (left + a) + "px").style("width", (b - a) + "px");
        hideTooltip();
        return;
      }
      var r = rowAt(m[1] - PAD);
      if (r < 0) { hideTooltip(); return; }
      var t = x.invert(m[0]), tol = 3 * (x.domain()[1] - x.domain()[0]) / plotW;
      var ti = taskAt(r, t, tol);
      if (ti >= 0) { showTooltip(describeTask(ti), ev); return; }
      var k = rowTransfers[r].length ? transferAt(r, t, tol) : -1;
      if (k >= 0) { showTooltip(describeTransfer(k), ev); return; }
      hideTooltip();
    });
    canvas.on("mouseleave", hideTooltip);
    canvas.on("mousedown", function () {
      d3.event.preventDefault();
      dragFrom = d3.mouse(this)[0];
    });
    d3.select(window).on("mouseup.stream", function () {
      if (dragFrom === null) return;
      var m = d3.mouse(canvas.node())[0];
      var a = clamp(Math.min(dragFrom, m), 0, plotW), b = clamp(Math.max(dragFrom, m), 0, plotW);
      dragFrom = null;
      brush.style("display", "none");
      if (b - a >= 4) {
        x.domain([x.invert(a), x.invert(b)]);
        drawAxes();
        draw();
      }
    });
    canvas.on("dblclick", function () {
      x.domain(full);
      drawAxes();
      draw();
    });

    drawAxes();
    draw();
  }

  // ---------------------------------------------------------------- progress

  function drawProgress(el) {
    var done = [], time = [], failed = [];
    for (var p = 0; p < nPrefixes; p++) { done.push(0); time.push(0); failed.push(0); }
    for (var i = 0; i < nTasks; i++) {
      var t = tasks[i], q = t[T_PREFIX] | 0;
      done[q]++;
      time[q] += Math.max(0, num(t[T_END]) - num(t[T_START]));
      if (t[T_FAILED]) failed[q]++;
    }
    if (!nPrefixes) { none(el, "none: no key prefixes (no tasks ran)"); return; }
    var rows = d3.range(nPrefixes).map(function (q) {
      return { p: q, name: prefixName(q), done: done[q], total: Math.max(num(prefixTotals[q]), done[q]),
               time: time[q], failed: failed[q] };
    });

    var width = chartWidth(el);
    var labelW = Math.min(220, Math.max(110, d3.max(rows, function (r) { return r.name.length; }) * 7.2 + 16));
    var rowH = 26, barH = 14, headH = 22;
    var avail = width - labelW;
    var col1 = Math.floor(avail * 0.5), col2 = avail - col1;
    var track = Math.max(80, col1 - 190), timeMax = Math.max(60, col2 - 190);
    var maxTime = d3.max(rows, function (r) { return r.time; }) || 1;
    var tx = d3.scale.linear().domain([0, maxTime]).range([0, timeMax]);

    var svg = el.append("svg").attr("width", width).attr("height", headH + rows.length * rowH);
    svg.append("text").attr("class", "axis-title").attr("x", labelW).attr("y", 13).text("tasks done / tasks in the graphs");
    svg.append("text").attr("class", "axis-title").attr("x", labelW + col1).attr("y", 13).text("time in tasks (thread-seconds)");
    var row = svg.selectAll("g.row").data(rows).enter().append("g").attr("class", "row")
      .attr("transform", function (r, k) { return "translate(0," + (headH + k * rowH) + ")"; });
    row.append("text").attr("class", "label").attr("x", labelW - 10).attr("y", rowH / 2).attr("dy", "0.35em")
      .attr("text-anchor", "end").text(function (r) { return r.name; });
    var by = (rowH - barH) / 2;
    row.append("rect").attr("x", labelW).attr("y", by).attr("width", track).attr("height", barH)
      .attr("rx", 2).attr("fill", "#eceff3");
    row.append("rect").attr("x", labelW).attr("y", by).attr("height", barH).attr("rx", 2)
      .attr("width", function (r) { return r.total ? track * Math.min(1, r.done / r.total) : 0; })
      .attr("fill", function (r) { return prefixColor(r.p); });
    var text = row.append("text").attr("class", "label").attr("x", labelW + track + 8).attr("y", rowH / 2).attr("dy", "0.35em");
    text.append("tspan").text(function (r) {
      var pct = r.total ? Math.floor(100 * r.done / r.total) : 0;
      return fmtCount(r.done) + " / " + fmtCount(r.total) + " (" + pct + "%)";
    });
    text.filter(function (r) { return r.failed > 0; }).append("tspan").attr("fill", FAILED_COLOR)
      .text(function (r) { return " \u00b7 " + r.failed + " failed"; });
    row.append("rect").attr("x", labelW + col1).attr("y", by).attr("height", barH).attr("rx", 2)
      .attr("width", function (r) { return Math.max(r.time > 0 ? 1 : 0, tx(r.time)); })
      .attr("fill", function (r) { return prefixColor(r.p); }).attr("fill-opacity", 0.75);
    row.append("text").attr("class", "label").attr("x", function (r) { return labelW + col1 + tx(r.time) + 8; })
      .attr("y", rowH / 2).attr("dy", "0.35em")
      .text(function (r) {
        return fmtDur(r.time) + (r.done ? " \u00b7 mean " + fmtDur(r.time / r.done) : "");
      });
  }

  // ---------------------------------------------------------------- time per rank

  function drawRanks(el) {
    var legend = d3.select("#ranks-legend");
    legend.selectAll("*").remove();
    if (!nRanks) { none(el, "none: no ranks"); return; }
    var parts = [
      { key: "computing", color: "#4e79a7" },
      { key: "spilling", color: "#f28e2b" },
      { key: "transferring", color: "#af7aa1" },
      { key: "idle", color: "#d5dae0" }
    ];

    var workers = d3.range(nRanks).map(function () { return 0; });
    threads.forEach(function (t) { if (/^worker/.test(String(t[2]))) workers[t[0] | 0]++; });
    // A rank whose threads DATA does not name: count the threads its tasks ran on.
    var seen = d3.range(nRanks).map(function () { return {}; });
    var taskUs = new Float64Array(nRanks), spillUs = new Float64Array(nRanks), transferUs = new Float64Array(nRanks);
    for (var i = 0; i < nTasks; i++) {
      var t = tasks[i], r = t[T_RANK] | 0;
      taskUs[r] += Math.max(0, num(t[T_END]) - num(t[T_START]));
      spillUs[r] += Math.max(0, num(t[T_SPILL_US]));
      seen[r][t[T_TID] | 0] = 1;
    }
    transfers.forEach(function (x) {
      transferUs[x[X_TO] | 0] += Math.max(0, num(x[X_END]) - num(x[X_START]));
    });
    var rows = d3.range(nRanks).map(function (r) {
      var n = workers[r] || Object.keys(seen[r]).length;
      var computing = Math.max(0, taskUs[r] - spillUs[r]);
      var spilling = spillUs[r];
      var idle = Math.max(0, n * durationUs - computing - spilling);
      return { rank: r, workers: n,
               values: [computing / 1e6, spilling / 1e6, transferUs[r] / 1e6, idle / 1e6] };
    });

    if (!d3.sum(rows, function (r) { return d3.sum(r.values); })) {
      none(el, "none: no time recorded (no tasks, transfers or profile span)");
      return;
    }
    parts.forEach(function (s) { legendItem(legend, s.color, s.key, "box"); });
    var width = chartWidth(el), left = 130, right = 120, axisH = 30;
    var rowH = nRanks > 24 ? 16 : 28, barH = rowH - (nRanks > 24 ? 3 : 8);
    var plotW = width - left - right, plotH = rows.length * rowH;
    var maxTotal = d3.max(rows, function (r) { return d3.sum(r.values); }) || 1;
    var x = d3.scale.linear().domain([0, maxTotal]).range([0, plotW]).nice();
    var svg = el.append("svg").attr("width", width).attr("height", plotH + axisH + 6);
    var g = svg.append("g").attr("transform", "translate(" + left + ",2)");
    g.append("g").attr("class", "grid")
      .call(d3.svg.axis().scale(x).orient("bottom").ticks(8).tickSize(plotH).tickFormat(""));
    g.append("g").attr("class", "axis").attr("transform", "translate(0," + plotH + ")")
      .call(d3.svg.axis().scale(x).orient("bottom").ticks(8));
    svg.append("text").attr("class", "axis-title").attr("x", left + plotW).attr("y", plotH + axisH + 4)
      .attr("text-anchor", "end").text("thread-seconds");

    var row = g.selectAll("g.row").data(rows).enter().append("g").attr("class", "row")
      .attr("transform", function (r, k) { return "translate(0," + k * rowH + ")"; });
    row.append("text").attr("class", "label").attr("x", -10).attr("y", rowH / 2).attr("dy", "0.35em")
      .attr("text-anchor", "end")
      .text(function (r) {
        return "rank " + r.rank + (nRanks <= 24 ? "  (" + r.workers + (r.workers === 1 ? " worker)" : " workers)") : "");
      });
    var by = (rowH - barH) / 2;
    row.each(function (r) {
      var sel = d3.select(this), acc = 0;
      r.values.forEach(function (v, k) {
        var x0 = x(acc), w = x(acc + v) - x0;
        acc += v;
        if (w <= 0) return;
        sel.append("rect").attr("x", x0).attr("y", by).attr("width", w).attr("height", barH)
          .attr("fill", parts[k].color)
          .append("title").text(parts[k].key + ": " + sig3(v) + " s");
        if (w > 52 && barH >= 12) {
          sel.append("text").attr("x", x0 + w / 2).attr("y", rowH / 2).attr("dy", "0.35em")
            .attr("text-anchor", "middle").style("font-size", "11px")
            .style("fill", k === 3 ? "#3d4550" : "#fff").text(sig3(v) + " s");
        }
      });
      sel.append("text").attr("class", "muted").attr("x", x(acc) + 8).attr("y", rowH / 2).attr("dy", "0.35em")
        .style("font-size", "11px").text(sig3(acc) + " s");
    });
  }

  // ---------------------------------------------------------------- bytes matrix

  function drawBytes(el) {
    var n = nRanks;
    var m = d3.range(n).map(function () { return d3.range(n).map(function () { return 0; }); });
    var total = 0;
    transfers.forEach(function (x) {
      var b = num(x[X_BYTES]);
      m[x[X_FROM] | 0][x[X_TO] | 0] += b;
      total += b;
    });
    if (!transfers.length || total <= 0) { none(el, "none: no bytes moved between ranks"); return; }
    var max = d3.max(m, function (row) { return d3.max(row); });
    var sent = m.map(function (row) { return d3.sum(row); });
    var received = d3.range(n).map(function (c) { return d3.sum(m, function (row) { return row[c]; }); });

    var width = chartWidth(el), left = 96, top = 40, totalsW = 110;
    var cellW = clamp(Math.floor((width - left - totalsW) / n), 10, 110);
    var cellH = clamp(cellW * 0.5, 10, 34);
    var showText = cellW >= 58 && cellH >= 16;
    var color = d3.scale.sqrt().domain([0, max]).range(["#eef4fb", "#1c5a99"]);
    var svg = el.append("svg").attr("width", Math.min(width, left + n * cellW + totalsW))
      .attr("height", top + n * cellH + 30);
    var g = svg.append("g").attr("transform", "translate(" + left + "," + top + ")");
    svg.append("text").attr("class", "axis-title").attr("x", left).attr("y", 12).text("to rank \u2192");
    var labelEvery = Math.ceil(14 / Math.min(cellW, cellH));
    g.selectAll("text.col").data(d3.range(n)).enter().append("text").attr("class", "label col")
      .attr("x", function (c) { return c * cellW + cellW / 2; }).attr("y", -8).attr("text-anchor", "middle")
      .style("font-size", "11px")
      .text(function (c) { return c % labelEvery === 0 ? String(c) : ""; });
    g.selectAll("text.rowlabel").data(d3.range(n)).enter().append("text").attr("class", "label rowlabel")
      .attr("x", -8).attr("y", function (r) { return r * cellH + cellH / 2; }).attr("dy", "0.35em")
      .attr("text-anchor", "end").style("font-size", "11px")
      .text(function (r) { return r % labelEvery === 0 ? "from rank " + r : ""; });
    for (var r = 0; r < n; r++) {
      for (var c = 0; c < n; c++) {
        var v = m[r][c];
        g.append("rect").attr("x", c * cellW).attr("y", r * cellH).attr("width", cellW - 1).attr("height", cellH - 1)
          .attr("fill", v > 0 ? color(v) : "#f7f8fa")
          .append("title").text("rank " + r + " \u2192 rank " + c + ": " + fmtBytes(v));
        if (showText) {
          g.append("text").attr("x", c * cellW + cellW / 2).attr("y", r * cellH + cellH / 2).attr("dy", "0.35em")
            .attr("text-anchor", "middle").style("font-size", "11.5px")
            .style("fill", v <= 0 ? "#a0a8b2" : Math.sqrt(v / max) > 0.55 ? "#fff" : "#1f2328")
            .text(v > 0 ? fmtBytes(v) : "\u2013");
        }
      }
      if (r % labelEvery === 0) {
        g.append("text").attr("class", "muted").attr("x", n * cellW + 8).attr("y", r * cellH + cellH / 2)
          .attr("dy", "0.35em").style("font-size", "11px").text(fmtBytes(sent[r]));
      }
    }
    g.append("text").attr("class", "axis-title").attr("x", n * cellW + 8).attr("y", -8).text("sent");
    if (cellW >= 52) {
      g.append("text").attr("class", "axis-title").attr("x", -8).attr("y", n * cellH + 14)
        .attr("text-anchor", "end").text("received");
      g.selectAll("text.recv").data(received).enter().append("text").attr("class", "muted recv")
        .attr("x", function (v, k) { return k * cellW + cellW / 2; }).attr("y", n * cellH + 14)
        .attr("text-anchor", "middle").style("font-size", "11px").text(function (v) { return fmtBytes(v); });
    }
  }

  // ---------------------------------------------------------------- samples

  var samplesByRank = null;
  function sampleSeries() {
    if (samplesByRank) return samplesByRank;
    samplesByRank = d3.range(nRanks).map(function () { return []; });
    samples.forEach(function (s) { samplesByRank[s[S_RANK] | 0].push(s); });
    samplesByRank.forEach(function (list) { list.sort(function (a, b) { return a[S_T] - b[S_T]; }); });
    return samplesByRank;
  }

  // Points [t_us, value] of one column, at most about two per pixel (the max, or the
  // mean, of each pixel's samples).
  function columnPoints(list, col, pixels, mean) {
    var pts = list.map(function (s) { return [num(s[S_T]), num(s[col])]; });
    if (pts.length <= pixels * 2) return pts;
    var out = [], bucket = -1, acc = 0, cnt = 0, tAcc = 0;
    for (var i = 0; i < pts.length; i++) {
      var b = Math.floor(pts[i][0] / spanUs * pixels);
      if (b !== bucket && cnt) {
        out.push([tAcc / cnt, mean ? acc / cnt : acc]);
        acc = 0; cnt = 0; tAcc = 0;
      }
      bucket = b;
      acc = mean ? acc + pts[i][1] : (cnt ? Math.max(acc, pts[i][1]) : pts[i][1]);
      tAcc += pts[i][0];
      cnt++;
    }
    if (cnt) out.push([tAcc / cnt, mean ? acc / cnt : acc]);
    return out;
  }

  // A line chart of series [{rank, label, dashed, points: [[t_us, v]]}] against time.
  function lineChart(el, series, opts) {
    var width = chartWidth(el), left = 70, right = 16, top = 8, bottom = 30;
    var plotW = width - left - right, plotH = opts.height;
    var maxV = d3.max(series, function (s) { return d3.max(s.points, function (p) { return p[1]; }); }) || 0;
    var unit = opts.bytes ? byteUnit(maxV) : { size: 1, name: opts.unitName || "" };
    var x = d3.scale.linear().domain([0, spanUs / 1e6]).range([0, plotW]);
    var y = d3.scale.linear().domain([0, Math.max(maxV / unit.size, opts.minMax || 1e-9)]).range([plotH, 0]).nice();
    var svg = el.append("svg").attr("width", width).attr("height", top + plotH + bottom);
    var g = svg.append("g").attr("transform", "translate(" + left + "," + top + ")");
    var yTicks = Math.max(2, Math.floor(plotH / 40)), xTicks = Math.max(2, Math.floor(plotW / 90));
    g.append("g").attr("class", "grid")
      .call(d3.svg.axis().scale(y).orient("left").ticks(yTicks).tickSize(-plotW).tickFormat(""));
    g.append("g").attr("class", "axis")
      .call(d3.svg.axis().scale(y).orient("left").ticks(yTicks)
            .tickFormat(function (v) { return trimNumber(v) + (unit.name ? " " + unit.name : ""); }));
    g.append("g").attr("class", "axis").attr("transform", "translate(0," + plotH + ")")
      .call(d3.svg.axis().scale(x).orient("bottom").ticks(xTicks));
    svg.append("text").attr("class", "axis-title").attr("x", left + plotW).attr("y", top + plotH + bottom - 2)
      .attr("text-anchor", "end").text("seconds");
    var line = d3.svg.line()
      .x(function (p) { return x(p[0] / 1e6); })
      .y(function (p) { return y(p[1] / unit.size); });
    g.selectAll("path.series").data(series).enter().append("path").attr("class", "series")
      .attr("fill", "none").attr("stroke", function (s) { return rankColor(s.rank); })
      .attr("stroke-width", 1.6).attr("stroke-dasharray", function (s) { return s.dashed ? "5,3" : null; })
      .attr("d", function (s) { return line(s.points); });

    // Hover: each series' value at the time under the mouse.
    var rule = g.append("line").attr("y1", 0).attr("y2", plotH).attr("stroke", "#8c959f").style("display", "none");
    g.append("rect").attr("width", plotW).attr("height", plotH).attr("fill", "transparent")
      .on("mousemove", function () {
        var mx = d3.mouse(this)[0], t = x.invert(mx) * 1e6;
        rule.style("display", null).attr("x1", mx).attr("x2", mx);
        var lines = [opts.name + " at " + fmtSeconds(t)];
        series.forEach(function (s) {
          if (!s.points.length) return;
          var j = d3.bisector(function (p) { return p[0]; }).left(s.points, t);
          if (j >= s.points.length) j = s.points.length - 1;
          if (j > 0 && t - s.points[j - 1][0] < s.points[j][0] - t) j--;
          lines.push(s.label + ": " + opts.format(s.points[j][1]));
        });
        showTooltip(lines, d3.event);
      })
      .on("mouseleave", function () { rule.style("display", "none"); hideTooltip(); });
  }

  function samplesLegend() {
    var legend = d3.select("#memory-legend");
    legend.selectAll("*").remove();
    var byRank = sampleSeries();
    byRank.forEach(function (list, r) {
      if (list.length) legendItem(legend, rankColor(r), "rank " + r, "line");
    });
  }

  function drawMemory(el) {
    samplesLegend();
    if (!samples.length) { none(el, "none: no resource samples"); return; }
    var width = chartWidth(el), series = [];
    sampleSeries().forEach(function (list, r) {
      if (!list.length) return;
      series.push({ rank: r, label: "rank " + r + " RSS", points: columnPoints(list, S_RSS, width, false) });
      series.push({ rank: r, label: "rank " + r + " managed", dashed: true,
                    points: columnPoints(list, S_MEMORY, width, false) });
    });
    lineChart(el, series, { height: 220, bytes: true, format: fmtBytes, name: "memory" });
  }

  function drawSpill(el) {
    if (!samples.length) { none(el, "none: no resource samples"); return; }
    var width = chartWidth(el), series = [];
    sampleSeries().forEach(function (list, r) {
      if (list.length) series.push({ rank: r, label: "rank " + r, points: columnPoints(list, S_SPILLED, width, false) });
    });
    lineChart(el, series, { height: 170, bytes: true, format: fmtBytes, name: "spilled" });
  }

  function drawCpu(el) {
    if (!samples.length) { none(el, "none: no resource samples"); return; }
    var width = chartWidth(el), series = [];
    sampleSeries().forEach(function (list, r) {
      if (list.length) series.push({ rank: r, label: "rank " + r, points: columnPoints(list, S_CPU, width, true) });
    });
    lineChart(el, series, { height: 170, unitName: "%", minMax: 100, name: "cpu",
                            format: function (v) { return v.toFixed(0) + "%"; } });
  }

  // ---------------------------------------------------------------- tables

  // The indices of the k tasks with the largest value(i), largest first.
  function topTasks(k, value) {
    var idx = [], vals = [];
    for (var i = 0; i < nTasks; i++) {
      var v = value(i);
      if (idx.length === k && !(v > vals[k - 1])) continue;
      var j = idx.length < k ? idx.length : k - 1;
      while (j > 0 && vals[j - 1] < v) { idx[j] = idx[j - 1]; vals[j] = vals[j - 1]; j--; }
      idx[j] = i; vals[j] = v;
    }
    return idx;
  }

  function table(el, columns, rows) {
    var tbl = el.append("table");
    tbl.append("thead").append("tr").selectAll("th").data(columns).enter().append("th")
      .attr("class", function (c) { return c.num ? "num" : null; })
      .text(function (c) { return c.title; });
    var tr = tbl.append("tbody").selectAll("tr").data(rows).enter().append("tr")
      .attr("class", function (r) { return r.failed ? "failed" : null; });
    columns.forEach(function (c) {
      tr.append("td").attr("class", c.cls || (c.num ? "num" : null)).text(function (r) { return c.value(r); });
    });
    return tbl;
  }

  function taskRow(i) {
    var t = tasks[i];
    return { key: String(t[T_KEY]), rank: t[T_RANK] | 0, thread: threadName(t[T_RANK] | 0, t[T_TID] | 0),
             dur: Math.max(0, num(t[T_END]) - num(t[T_START])), out: num(t[T_OUT]), failed: !!t[T_FAILED] };
  }

  var taskColumns = {
    key: { title: "key", cls: "key", value: function (r) { return r.key; } },
    rank: { title: "rank", num: true, value: function (r) { return r.rank; } },
    thread: { title: "thread", value: function (r) { return r.thread; } },
    dur: { title: "duration", num: true, value: function (r) { return fmtDur(r.dur); } },
    out: { title: "output", num: true, value: function (r) { return fmtBytes(r.out); } }
  };

  function drawSlowest(el) {
    if (!nTasks) { none(el, "none: no tasks"); return; }
    var rows = topTasks(20, function (i) { return num(tasks[i][T_END]) - num(tasks[i][T_START]); }).map(taskRow);
    var c = taskColumns;
    table(el, [c.key, c.rank, c.thread, c.dur, c.out], rows);
  }

  function drawBiggest(el) {
    if (!nTasks) { none(el, "none: no tasks"); return; }
    var rows = topTasks(20, function (i) { return num(tasks[i][T_OUT]); }).map(taskRow);
    var c = taskColumns;
    table(el, [c.key, c.rank, c.thread, c.out, c.dur], rows);
  }

  function drawSettings(el) {
    if (!settings.length) { none(el, "none: no settings recorded"); return; }
    table(el, [{ title: "setting", value: function (s) { return String(s[0]); } },
               { title: "value", value: function (s) { return String(s[1]); } }], settings)
      .attr("class", "settings");
  }

  function drawRuns(el) {
    if (!runs.length) { none(el, "none: no compute() calls recorded"); return; }
    table(el, [{ title: "#", num: true, value: function (r) { return r.n; } },
               { title: "start", num: true, value: function (r) { return fmtSeconds(r.start); } },
               { title: "duration", num: true, value: function (r) { return fmtDur(r.end - r.start); } },
               { title: "tasks", num: true, value: function (r) { return fmtCount(r.tasks); } }],
          runs.map(function (r, k) {
            return { n: k + 1, start: num(r[0]), end: num(r[1]), tasks: num(r[2]) };
          }));
  }

  // ---------------------------------------------------------------- drawing it all

  var drawers = {
    "chart-stream": drawStream, "chart-progress": drawProgress, "chart-ranks": drawRanks,
    "chart-bytes": drawBytes, "chart-memory": drawMemory, "chart-spill": drawSpill, "chart-cpu": drawCpu,
    "table-slowest": drawSlowest, "table-biggest": drawBiggest, "table-settings": drawSettings,
    "table-runs": drawRuns
  };

  // Draws one chart or table into its (emptied) element; true when it drew.
  function drawOne(id) {
    var el = d3.select("#" + id);
    if (el.empty()) { setError("the page has no element #" + id); return false; }
    el.selectAll("*").remove();
    el.attr("data-drawn", null).attr("data-empty", null);
    try {
      drawers[id](el);
      el.attr("data-drawn", "1");
      return true;
    } catch (e) {
      setError(id + ": " + (e && e.message ? e.message : e));
      el.append("div").attr("class", "section-error").text("Could not draw this: " + (e && e.stack ? e.stack : e));
      return false;
    }
  }

  function drawAll() {
    var charts = 0;
    CHARTS.forEach(function (id) { if (drawOne(id)) charts++; });
    TABLES.forEach(drawOne);
    body.dataset.charts = String(charts);
    return charts;
  }

  try {
    var began = Date.now();
    drawHeader();
    drawFailure();
    var charts = drawAll();
    body.dataset.drawMs = String(Date.now() - began);
    if (firstError === null && charts === CHARTS.length) body.dataset.status = "ok";
    else if (firstError === null) setError("only " + charts + " of " + CHARTS.length + " charts drew");
  } catch (e) {
    setError(e && e.message ? e.message : e);
  }

  // check_report_page.py opens the page as REPORT.html#tessera-check and reads it back
  // with chromium's --dump-dom, which takes seconds per 10 MB: it needs no inlined d3
  // or DATA back, so they are emptied (they have run). Opened any other way, the page
  // keeps them.
  if (/tessera-check/.test(window.location.hash)) {
    Array.prototype.forEach.call(document.querySelectorAll("script"), function (script) {
      if (script.text.length > 4096) script.text = "";
    });
    body.dataset.scriptsEmptied = "1";
  }

  // The charts fit the window's width: draw them again when it changes.
  var lastWidth = window.innerWidth, pending = null;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    clearTimeout(pending);
    pending = setTimeout(function () { hideTooltip(); drawAll(); }, 200);
  });
})();
