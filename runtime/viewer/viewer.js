/*
 * The timeline of the page `corolint view` writes (inlined into viewer.html). It reads the model the
 * CLI put in #corolint-data (ViewModel in cli/view-command.ts):
 *   { start, end (µs), lanes: [{name, pid, tid, loop}], processes: [{pid, name}],
 *     spans: [{lane, ts, dur, name, cat, blocked, file, line, function, stack, samples, unfinished,
 *              args, count, busy}],
 *     flows: [{cat, from: {lane, ts}, to: {lane, ts}}] }
 * and draws one SVG: a time axis, one lane per thread or task (grouped by process when the trace has
 * several), spans as bars (blocked ones red, the loop lanes' steps muted), flow events as arrows.
 * Zoom: wheel or the +/- buttons; pan: drag or shift+wheel; a click on a span shows its details in the
 * side panel; the filter box keeps the lanes whose name (or pid, or process name) contains its text.
 * Plain ES2017, no modules, nothing fetched.
 *
 * Big traces: bars closer than a pixel on a lane are drawn as one (a "group", its opacity the share
 * of the time its steps ran; a click zooms into it), and only the lanes near the visible part of the
 * page are drawn, again when the page scrolls.
 *
 * In VS Code's "corolint: Schedule" panel (a webview, where `acquireVsCodeApi` exists), a click on a
 * span or on a row of the top-blockers table also posts {type: "open", file, line} to the extension,
 * which opens that line in the editor.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var AXIS_H = 26;
  var LANE_H = 34;
  var GROUP_H = 22;
  var BAR_PAD = 6;
  var MIN_BAR_PX = 2;
  var STEP = "corolint.step";

  var model = JSON.parse(document.getElementById("corolint-data").textContent);
  // Defined by VS Code inside a webview only; it may be called once per page.
  var vscodeApi = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
  var timeline = document.getElementById("timeline");
  var labels = document.getElementById("lane-labels");
  var details = document.getElementById("details");
  var zoomLevel = document.getElementById("zoom-level");
  var filterBox = document.getElementById("lane-filter");
  var blockedOnlyBox = document.getElementById("blocked-only");
  var laneCount = document.getElementById("lane-count");

  var total = Math.max(model.end - model.start, 1);
  /** What is on screen: the time at the left edge (µs) and pixels per µs. */
  var view = { start: model.start, scale: 1 };
  var fitScale = 1;
  var width = 0;
  var selected = -1;

  // Processes in order, and their names (a trace merged from several processes has one group each).
  var processes = model.processes || [];
  if (!processes.length) {
    var seenPids = {};
    model.lanes.forEach(function (lane) {
      if (!seenPids[lane.pid]) processes.push({ pid: lane.pid });
      seenPids[lane.pid] = true;
    });
  }
  var processNames = {};
  processes.forEach(function (process) { processNames[process.pid] = process.name || ""; });
  var grouped = processes.length > 1;

  // Spans per lane, sorted by start, so that drawing can merge bars that fall in the same pixels.
  var byLane = model.lanes.map(function () { return []; });
  var hasBlocked = model.lanes.map(function () { return false; });
  model.spans.forEach(function (span, index) {
    byLane[span.lane].push(index);
    if (span.blocked) hasBlocked[span.lane] = true;
  });
  byLane.forEach(function (indexes) {
    indexes.sort(function (a, b) { return model.spans[a].ts - model.spans[b].ts; });
  });

  // Blocked steps are recorded on their task's lane. The loop lane shows them in red too, on top of
  // its muted steps: the loop lane whose copy of the step starts at the same time, else the process's
  // only loop lane. loopBlocked[lane]: indexes of such spans, by start.
  var loopBlocked = model.lanes.map(function () { return []; });
  var loopStepAt = {};
  var loopsOfPid = {};
  model.lanes.forEach(function (lane, index) {
    if (lane.loop) (loopsOfPid[lane.pid] = loopsOfPid[lane.pid] || []).push(index);
  });
  model.spans.forEach(function (span) {
    if (model.lanes[span.lane].loop && span.cat === STEP && !span.blocked) loopStepAt[model.lanes[span.lane].pid + "\u0000" + span.ts] = span.lane;
  });
  model.spans.forEach(function (span, index) {
    var lane = model.lanes[span.lane];
    if (!span.blocked || lane.loop) return;
    var loop = loopStepAt[lane.pid + "\u0000" + span.ts];
    if (loop === undefined && loopsOfPid[lane.pid] && loopsOfPid[lane.pid].length === 1) loop = loopsOfPid[lane.pid][0];
    if (loop !== undefined) loopBlocked[loop].push(index);
  });
  loopBlocked.forEach(function (indexes) {
    indexes.sort(function (a, b) { return model.spans[a].ts - model.spans[b].ts; });
  });

  /**
   * The rows shown, top to bottom: a header per process (several processes only) and the lanes that
   * pass the filter. laneTop[lane] is the lane's y in the SVG, or -1 when the filter hides it.
   */
  var rows = [];
  var laneTop = [];
  var contentHeight = AXIS_H;
  /** The band of the SVG (y) drawn last, and whether some shown lane was left out of it. */
  var drawn = { top: 0, bottom: 0, partial: false };

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG_NS, name);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, className, text, parent) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  /** µs → "12.3 ms" with a precision that suits the value. */
  function ms(us) {
    var value = us / 1000;
    var abs = Math.abs(value);
    var digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
    return value.toFixed(digits) + " ms";
  }

  function where(span) {
    if (!span.file) return span["function"] ? span["function"] : "an unknown place";
    return span.file + ":" + (span.line == null ? "?" : span.line) + (span["function"] ? " " + span["function"] : "");
  }

  function isStep(span) { return span.cat === STEP && !span.blocked && !span.count; }

  function argsOf(span) { return span.args || {}; }

  /** The task (or greenlet) a step belongs to. */
  function taskOf(span) {
    var args = argsOf(span);
    return typeof args.task === "string" ? args.task : typeof args.greenlet === "string" ? args.greenlet : span.name;
  }

  /** Where a step stopped: "suspended at app.py:12", "finished", "still running at exit", or null. */
  function suspension(span) {
    var args = argsOf(span);
    if (span.unfinished || args.unfinished === true) return "still running at exit";
    if (args.done === true) return "finished";
    if (typeof args.suspendedAt === "string") return "suspended at " + args.suspendedAt;
    return null;
  }

  /** The args a step's details list besides those said otherwise: `greenlet`, anything a tracer adds. */
  function extraArgs(span) {
    var args = argsOf(span);
    return Object.keys(args).filter(function (key) {
      return !(isStep(span) && (key === "suspendedAt" || key === "done" || key === "unfinished" || (key === "task" && args.task === taskOf(span))));
    });
  }

  function argText(value) { return value === null ? "null" : String(value); }

  function tooltip(span) {
    if (span.count) {
      return [span.count + " steps merged for size, " + ms(span.dur), "busy " + ms(span.busy || 0) + " of it", "from " + ms(span.ts - model.start)].join("\n");
    }
    if (isStep(span)) {
      var stepLines = [taskOf(span) + " step " + ms(span.dur)];
      var stopped = suspension(span);
      if (stopped) stepLines.push(stopped);
      extraArgs(span).forEach(function (key) { stepLines.push(key + ": " + argText(span.args[key])); });
      return stepLines.join("\n");
    }
    var lines = [(span.blocked ? "blocked " : span.name + " ") + ms(span.dur) + (span.unfinished ? " (unfinished)" : "")];
    if (span.blocked || span.file) lines.push("at " + where(span));
    if (span.stack && span.stack.length) {
      lines.push("", "stack (innermost first):");
      span.stack.slice(0, 20).forEach(function (frame) { lines.push("  " + frame); });
      if (span.stack.length > 20) lines.push("  ... " + (span.stack.length - 20) + " more");
    }
    return lines.join("\n");
  }

  function x(ts) { return (ts - view.start) * view.scale; }

  /** Does the lane pass the filter box's text (its name, pid or process name, any case)? */
  function matchesText(lane, text) {
    if (!text) return true;
    return lane.name.toLowerCase().indexOf(text) >= 0 ||
      String(lane.pid).toLowerCase().indexOf(text) >= 0 ||
      (processNames[lane.pid] || "").toLowerCase().indexOf(text) >= 0;
  }

  /**
   * Works out the rows from the filter. A lane is shown when its name, pid or process name contains
   * the text and, with "blocked only", it has a blocked span. Loop lanes (the occupancy) stay: those
   * of the processes with a lane shown, or all of them when no other lane is.
   */
  function layout() {
    var text = filterBox.value.trim().toLowerCase();
    var blockedOnly = blockedOnlyBox.checked;
    var match = model.lanes.map(function (lane, index) {
      return matchesText(lane, text) && (!blockedOnly || hasBlocked[index]);
    });
    var pidsShown = {};
    var anyShown = false;
    model.lanes.forEach(function (lane, index) {
      if (match[index] && !lane.loop) {
        pidsShown[lane.pid] = true;
        anyShown = true;
      }
    });
    rows = [];
    laneTop = model.lanes.map(function () { return -1; });
    var y = AXIS_H;
    var lastPid = null;
    var shown = 0;
    model.lanes.forEach(function (lane, index) {
      var show = match[index] || (lane.loop && (pidsShown[lane.pid] || !anyShown));
      if (!show) return;
      if (grouped && lane.pid !== lastPid) {
        rows.push({ pid: lane.pid, y: y, height: GROUP_H });
        y += GROUP_H;
      }
      lastPid = lane.pid;
      rows.push({ lane: index, y: y, height: LANE_H });
      laneTop[index] = y;
      y += LANE_H;
      shown++;
    });
    contentHeight = Math.max(y, AXIS_H + LANE_H);
    var all = model.lanes.length;
    laneCount.textContent = shown === all ? all + " lane" + (all === 1 ? "" : "s") : shown + " of " + all + " lanes";
  }

  /** Ticks at 1, 2 or 5 × 10^n µs, about 110 px apart. */
  function tickStep() {
    var raw = 110 / view.scale;
    var pow = Math.pow(10, Math.floor(Math.log10(raw)));
    var unit = raw / pow;
    return pow * (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10);
  }

  function tickLabel(us, step) {
    var digits = Math.max(0, -Math.floor(Math.log10(step / 1000)));
    return ((us - model.start) / 1000).toFixed(Math.min(digits, 6)) + " ms";
  }

  /** The SVG's rows the user can see now, from the page's scroll: [top, bottom) in SVG y. */
  function visibleBand() {
    var top = -timeline.getBoundingClientRect().top;
    return { top: top, bottom: top + window.innerHeight };
  }

  function processLabel(pid) {
    var name = processNames[pid];
    return (name ? name + " \u00b7 " : "") + "pid " + pid;
  }

  /**
   * One span as one bar, with its tooltip and (when it fits) its label; `onLoop`: a blocked span of a
   * task drawn again on the loop lane `onLoop` (class `loop-blocked`, not `blocked`: the span is
   * counted once).
   */
  function drawBar(index, parent, onLoop) {
    var span = model.spans[index];
    var echo = onLoop !== undefined;
    var lane = model.lanes[echo ? onLoop : span.lane];
    var x0 = x(span.ts);
    var x1 = x(span.ts + span.dur);
    var left = Math.max(x0, -10);
    var right = Math.min(x1, width + 10);
    var w = Math.max(right - left, MIN_BAR_PX);
    var y = laneTop[echo ? onLoop : span.lane] + BAR_PAD;
    var h = LANE_H - 2 * BAR_PAD;
    var tip = (echo ? "(on the lane of " + model.lanes[span.lane].name + ") " : "") + tooltip(span);
    var rect = el("rect", {
      x: left, y: y, width: w, height: h, rx: 2,
      "class": "bar" + (echo ? " loop-blocked" : span.blocked ? " blocked" : lane.loop ? " loop" : "") + (span.count ? " merged" : "") + (index === selected ? " selected" : ""),
      "data-index": index,
      tabindex: 0,
      "aria-label": tip.split("\n")[0] + (span.blocked ? " at " + where(span) : ""),
    }, parent);
    if (span.count && span.dur > 0) rect.setAttribute("fill-opacity", String(Math.min(1, Math.max(0.35, (span.busy || 0) / span.dur))));
    el("title", {}, rect).textContent = tip;
    var text = (span.blocked ? (span["function"] || "blocked") + (span.file ? " (" + span.file.split(/[\\/]/).pop() + ":" + span.line + ")" : "") : isStep(span) ? taskOf(span) : span.name) + " " + ms(span.dur);
    var visible = Math.max(Math.min(x1, width) - Math.max(x0, 0), 0);
    var chars = Math.floor((visible - 8) / 6.5);
    if (chars >= 4) {
      var label = el("text", { x: Math.max(x0, 0) + 4, y: y + h / 2 + 4, "class": "bar-label" + (lane.loop && !span.blocked && !echo ? " on-loop" : "") }, parent);
      label.textContent = text.length > chars ? text.slice(0, chars - 1) + "\u2026" : text;
    }
    return rect;
  }

  /**
   * Spans of one lane that fall within a pixel of each other, drawn as one bar: its opacity is the
   * share of its width the spans ran, and a click on it zooms in until they stand apart.
   */
  function drawGroup(group, lane, parent) {
    var w = Math.max(group.right - group.left, MIN_BAR_PX);
    var density = Math.min(1, Math.max(0.35, group.busy / Math.max(group.to - group.from, 1)));
    var rect = el("rect", {
      x: group.left, y: laneTop[lane] + BAR_PAD, width: w, height: LANE_H - 2 * BAR_PAD, rx: 2,
      "class": "bar group" + (model.lanes[lane].loop ? " loop" : ""),
      "fill-opacity": density.toFixed(2),
      "data-from": group.from,
      "data-to": group.to,
    }, parent);
    el("title", {}, rect).textContent = group.steps + " spans in " + ms(group.to - group.from) + ", busy " + ms(group.busy) + " of it: click to zoom in";
  }

  /** The lane's ordinary (not blocked) spans: alone as bars, within a pixel of each other as groups. */
  function drawOrdinary(lane, parent) {
    var group = null;
    function flush() {
      if (group === null) return;
      if (group.spans === 1) drawBar(group.first, parent);
      else drawGroup(group, lane, parent);
      group = null;
    }
    byLane[lane].forEach(function (index) {
      var span = model.spans[index];
      if (span.blocked || index === selected) return;
      var x0 = x(span.ts);
      var x1 = x(span.ts + span.dur);
      if (x1 < 0 || x0 > width) return;
      var left = Math.max(x0, -10);
      var right = Math.max(Math.min(x1, width + 10), left + MIN_BAR_PX);
      if (group !== null && left <= group.right + 1) {
        group.right = Math.max(group.right, right);
        group.to = Math.max(group.to, span.ts + span.dur);
        group.spans += 1;
        group.steps += span.count || 1;
        group.busy += span.count ? span.busy || 0 : span.dur;
        return;
      }
      flush();
      group = { left: left, right: right, from: span.ts, to: span.ts + span.dur, first: index, spans: 1, steps: span.count || 1, busy: span.count ? span.busy || 0 : span.dur };
    });
    flush();
  }

  /**
   * The lane's blocked spans on top, each its own bar (one drawn per pixel: the rest are under it);
   * on a loop lane, then the blocked steps of its tasks.
   */
  function drawBlocked(lane, parent) {
    function draw(indexes, onLoop) {
      var drawnUntil = -Infinity;
      indexes.forEach(function (index) {
        var span = model.spans[index];
        if (!span.blocked || (index === selected && onLoop === undefined)) return;
        var x0 = x(span.ts);
        var x1 = x(span.ts + span.dur);
        if (x1 < 0 || x0 > width) return;
        if (x1 <= drawnUntil) return;
        drawBar(index, parent, onLoop);
        drawnUntil = Math.max(x0, -10) + Math.max(Math.min(x1, width + 10) - Math.max(x0, -10), MIN_BAR_PX);
      });
    }
    draw(byLane[lane]);
    draw(loopBlocked[lane], lane);
  }

  function render() {
    width = Math.max(timeline.clientWidth, 50);
    var height = contentHeight;
    timeline.textContent = "";
    var svg = el("svg", { width: width, height: height, id: "timeline-svg", role: "img", "aria-label": "timeline" }, timeline);
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", "class": "flow-head" }, marker);

    var alt = 0;
    rows.forEach(function (row) {
      if (row.lane === undefined) {
        el("rect", { x: 0, y: row.y, width: width, height: row.height, "class": "group-bg" }, svg);
        alt = 0;
      } else {
        el("rect", { x: 0, y: row.y, width: width, height: row.height, "class": "lane-bg" + (alt++ % 2 ? " alt" : "") + (model.lanes[row.lane].loop ? " loop" : "") }, svg);
      }
    });

    // Axis and grid.
    var step = tickStep();
    var first = Math.ceil((view.start - model.start) / step) * step + model.start;
    var grid = el("g", { "class": "grid-lines" }, svg);
    el("rect", { x: 0, y: 0, width: width, height: AXIS_H, "class": "axis-bg" }, svg);
    el("line", { x1: 0, x2: width, y1: AXIS_H - 0.5, y2: AXIS_H - 0.5, "class": "axis-line" }, svg);
    for (var t = first, n = 0; x(t) <= width && n < 200; t += step, n++) {
      var tx = Math.round(x(t)) + 0.5;
      el("line", { x1: tx, x2: tx, y1: AXIS_H, y2: height, "class": "grid" }, grid);
      el("line", { x1: tx, x2: tx, y1: AXIS_H - 6, y2: AXIS_H, "class": "axis-line" }, svg);
      var label = el("text", { x: tx + 3, y: AXIS_H - 9, "class": "tick" }, svg);
      label.textContent = tickLabel(t, step);
    }

    // Only the lanes within a screen of what is visible: a trace may have hundreds of lanes.
    var band = visibleBand();
    drawn = { top: band.top - window.innerHeight, bottom: band.bottom + window.innerHeight, partial: false };
    var lanesDrawn = [];
    rows.forEach(function (row) {
      if (row.lane === undefined) return;
      if (row.y + row.height < drawn.top || row.y > drawn.bottom) drawn.partial = true;
      else lanesDrawn.push(row.lane);
    });

    // Spans: ordinary ones first, blocked ones on top, the selected one above all.
    var bars = el("g", { "class": "bars" }, svg);
    lanesDrawn.forEach(function (lane) { drawOrdinary(lane, bars); });
    lanesDrawn.forEach(function (lane) { drawBlocked(lane, bars); });
    var chosen = model.spans[selected];
    if (chosen && laneTop[chosen.lane] >= 0 && x(chosen.ts + chosen.dur) >= 0 && x(chosen.ts) <= width) drawBar(selected, bars);

    // Flow arrows (a task spawning another), from the "s" event to its "f" event, between shown lanes.
    var flows = el("g", { "class": "flows" }, svg);
    model.flows.forEach(function (flow) {
      if (laneTop[flow.from.lane] < 0 || laneTop[flow.to.lane] < 0) return;
      var fx = x(flow.from.ts), tx2 = x(flow.to.ts);
      if (Math.max(fx, tx2) < 0 || Math.min(fx, tx2) > width) return;
      var fy = laneTop[flow.from.lane] + LANE_H / 2;
      var ty = laneTop[flow.to.lane] + LANE_H / 2;
      if (Math.max(fy, ty) < drawn.top || Math.min(fy, ty) > drawn.bottom) return;
      var bend = flow.from.lane === flow.to.lane ? -LANE_H : 0;
      var dx = Math.max(Math.abs(tx2 - fx) / 2, 12);
      var path = el("path", {
        d: "M" + fx + "," + fy + " C" + (fx + dx) + "," + (fy + bend) + " " + (tx2 - dx) + "," + (ty + bend) + " " + tx2 + "," + ty,
        "class": "flow" + (flow.cat === "corolint.spawn" ? " spawn" : ""),
        "marker-end": "url(#arrow)",
      }, flows);
      el("title", {}, path).textContent = (flow.name || flow.cat || "flow") + ": " + model.lanes[flow.from.lane].name + " \u2192 " + model.lanes[flow.to.lane].name;
    });

    if (model.spans.length === 0) {
      html("div", "empty", model.lanes.length ? "No spans to draw." : "The trace holds no events to draw.", timeline);
    }
    zoomLevel.textContent = "showing " + ms(width / view.scale) + " of " + ms(total) + " (" + (view.scale / fitScale).toFixed(view.scale / fitScale < 10 ? 1 : 0) + "\u00d7)";
  }

  function renderLabels() {
    labels.textContent = "";
    html("div", "axis-spacer", null, labels).style.height = AXIS_H - 1 + "px";
    rows.forEach(function (row) {
      if (row.lane === undefined) {
        var header = html("div", "group-label", processLabel(row.pid), labels);
        header.style.height = row.height + "px";
        header.title = processLabel(row.pid);
        return;
      }
      var lane = model.lanes[row.lane];
      var label = html("div", "lane-label" + (lane.loop ? " loop" : ""), null, labels);
      label.style.height = LANE_H + "px";
      label.title = lane.name + (lane.loop ? " (the loop: every task's steps)" : "") + " (pid " + lane.pid + ", tid " + lane.tid + ")";
      html("span", "name", lane.name, label);
    });
  }

  /** After the filter changed: new rows, labels and drawing. */
  function applyFilter() {
    layout();
    renderLabels();
    render();
  }

  function clampView() {
    view.scale = Math.min(Math.max(view.scale, fitScale / 4), Math.max(fitScale * 1e6, 50));
    var visible = width / view.scale;
    var margin = visible * 0.5;
    view.start = Math.min(Math.max(view.start, model.start - margin), model.end - visible + margin);
  }

  function fit() {
    width = Math.max(timeline.clientWidth, 50);
    fitScale = width / (total * 1.02);
    view.scale = fitScale;
    view.start = model.start - total * 0.01;
  }

  /** Zooms by `factor` keeping the time under pixel `px` where it is. */
  function zoomAt(px, factor) {
    var at = view.start + px / view.scale;
    view.scale *= factor;
    clampView();
    view.start = at - px / view.scale;
    clampView();
    render();
  }

  /** Shows the time from `from` to `to` (µs) in the middle 80% of the timeline. */
  function zoomTo(from, to) {
    view.scale = (width * 0.8) / Math.max(to - from, 1);
    clampView();
    view.start = (from + to) / 2 - width / view.scale / 2;
    clampView();
    render();
  }

  function panBy(px) {
    view.start += px / view.scale;
    clampView();
    render();
  }

  function meta(text) { return html("p", "meta", text, details); }

  function select(index) {
    selected = index;
    render();
    details.textContent = "";
    var span = model.spans[index];
    if (!span) {
      html("p", "placeholder", "Click a span to see its details: a red (blocked) one for its stack.", details);
      return;
    }
    var lane = model.lanes[span.lane];
    var heading;
    if (span.count) {
      heading = html("h3", "plain", span.count + " steps merged, " + ms(span.dur), details);
      meta("from " + ms(span.ts - model.start) + " to " + ms(span.ts + span.dur - model.start) + " on " + lane.name);
      meta("busy " + ms(span.busy || 0) + " of it");
      html("p", "note", "The trace has too many steps to show one by one: the steps of a lane within the same " +
        ms(model.merged ? model.merged.bucketUs : 0) + " were merged into one bar to keep the page small.", details);
    } else if (isStep(span)) {
      heading = html("h3", "plain", taskOf(span) + " step, " + ms(span.dur), details);
      var stopped = suspension(span);
      html("p", "suspended", stopped || "where it suspended was not recorded", details).id = "details-suspended";
      meta("from " + ms(span.ts - model.start) + " to " + ms(span.ts + span.dur - model.start) + " on " + lane.name + (lane.loop ? " (the loop)" : ""));
    } else {
      heading = html("h3", span.blocked ? "" : "plain", (span.blocked ? "Blocked " : span.name + " ") + ms(span.dur) + (span.unfinished ? " (unfinished: the program ended during the block)" : ""), details);
      if (span.blocked || span.file) html("p", "where", where(span), details);
      meta("from " + ms(span.ts - model.start) + " to " + ms(span.ts + span.dur - model.start) + " on " + lane.name);
      if (typeof span.samples === "number") meta(span.samples + " stack sample" + (span.samples === 1 ? "" : "s"));
    }
    heading.id = "details-title";
    var keys = span.count ? [] : extraArgs(span);
    if (keys.length) {
      var list = html("dl", "args", null, details);
      list.id = "details-args";
      keys.forEach(function (key) {
        html("dt", "", key, list);
        html("dd", "", argText(span.args[key]), list);
      });
    }
    if (span.stack && span.stack.length) {
      html("h4", "", "Stack (innermost first)", details);
      var stack = html("ol", "stack", null, details);
      span.stack.forEach(function (frame) { html("li", "", frame, stack); });
    } else if (span.blocked) {
      meta("No stack was recorded for this block.");
    }
  }

  /** In the VS Code panel: asks the extension to open `file` at `line` (1-based). Elsewhere nothing. */
  function openSource(file, line) {
    if (vscodeApi && typeof file === "string" && file !== "" && typeof line === "number" && line > 0) {
      vscodeApi.postMessage({ type: "open", file: file, line: line });
    }
  }

  /** A span chosen by the user: its details in the side panel, and its line in the editor. */
  function choose(index) {
    select(index);
    var span = model.spans[index];
    if (span) openSource(span.file, span.line);
  }

  /** Scrolls the page so that `lane` (shown) is on screen. */
  function scrollToLane(lane) {
    var band = visibleBand();
    var top = laneTop[lane];
    if (top >= band.top + AXIS_H && top + LANE_H <= band.bottom) return;
    window.scrollBy(0, top - band.top - window.innerHeight / 2);
  }

  /** Centers a span and selects it (from the top-blockers table); a lane the filter hides is shown again. */
  function reveal(index) {
    var span = model.spans[index];
    if (laneTop[span.lane] < 0) {
      filterBox.value = "";
      blockedOnlyBox.checked = false;
      layout();
      renderLabels();
    }
    scrollToLane(span.lane);
    var visible = width / view.scale;
    if (span.dur > visible * 0.8) {
      view.scale = (width * 0.8) / Math.max(span.dur, 1);
      visible = width / view.scale;
    }
    view.start = span.ts + span.dur / 2 - visible / 2;
    clampView();
    select(index);
  }

  // Interaction.
  var drag = null;
  timeline.addEventListener("mousedown", function (event) {
    if (event.button !== 0) return;
    drag = { x: event.clientX, start: view.start, moved: false };
    timeline.classList.add("dragging");
  });
  window.addEventListener("mousemove", function (event) {
    if (!drag) return;
    var dx = event.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (drag.moved) {
      view.start = drag.start - dx / view.scale;
      clampView();
      render();
    }
  });
  window.addEventListener("mouseup", function () {
    timeline.classList.remove("dragging");
    // The click that ends a drag is not a selection: keep the flag until the click has been seen.
    setTimeout(function () { drag = null; }, 0);
  });
  timeline.addEventListener("click", function (event) {
    if (drag && drag.moved) return;
    var target = event.target;
    if (!target || !target.getAttribute) return;
    if (target.getAttribute("data-index") !== null) choose(Number(target.getAttribute("data-index")));
    else if (target.getAttribute("data-from") !== null) zoomTo(Number(target.getAttribute("data-from")), Number(target.getAttribute("data-to")));
  });
  timeline.addEventListener("keydown", function (event) {
    var target = event.target;
    if ((event.key === "Enter" || event.key === " ") && target.getAttribute && target.getAttribute("data-index") !== null) {
      event.preventDefault();
      choose(Number(target.getAttribute("data-index")));
    }
  });
  timeline.addEventListener("wheel", function (event) {
    event.preventDefault();
    var rect = timeline.getBoundingClientRect();
    if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      panBy(event.shiftKey ? event.deltaY || event.deltaX : event.deltaX);
    } else {
      zoomAt(event.clientX - rect.left, Math.exp(-event.deltaY * 0.002));
    }
  }, { passive: false });
  document.getElementById("zoom-in").addEventListener("click", function () { zoomAt(width / 2, 1.5); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomAt(width / 2, 1 / 1.5); });
  document.getElementById("zoom-fit").addEventListener("click", function () { fit(); render(); });
  filterBox.addEventListener("input", applyFilter);
  filterBox.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    filterBox.value = "";
    filterBox.blur();
    applyFilter();
  });
  blockedOnlyBox.addEventListener("change", applyFilter);
  document.addEventListener("keydown", function (event) {
    if (event.target && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) return;
    if (event.key === "/") {
      event.preventDefault();
      filterBox.focus();
      filterBox.select();
    }
    else if (event.key === "+" || event.key === "=") zoomAt(width / 2, 1.5);
    else if (event.key === "-" || event.key === "_") zoomAt(width / 2, 1 / 1.5);
    else if (event.key === "0") { fit(); render(); }
    else if (event.key === "ArrowLeft") panBy(-width / 10);
    else if (event.key === "ArrowRight") panBy(width / 10);
    else if (event.key === "Escape") select(-1);
  });

  // Rows of the static top-blockers table: select the longest kept span at that site.
  Array.prototype.forEach.call(document.querySelectorAll("table.blockers tbody tr"), function (row) {
    row.addEventListener("click", function () {
      var file = row.getAttribute("data-file");
      var line = Number(row.getAttribute("data-line"));
      var best = -1;
      model.spans.forEach(function (span, index) {
        if (span.blocked && span.file === file && span.line === line && (best < 0 || span.dur > model.spans[best].dur)) best = index;
      });
      if (best >= 0) reveal(best);
      openSource(file, line);
    });
  });

  // Scrolling the page brings lanes into view that were not drawn: draw again, once per frame.
  var scrollPending = false;
  window.addEventListener("scroll", function () {
    if (!drawn.partial || scrollPending) return;
    var band = visibleBand();
    if (band.top >= drawn.top && band.bottom <= drawn.bottom) return;
    scrollPending = true;
    requestAnimationFrame(function () {
      scrollPending = false;
      render();
    });
  }, { passive: true });

  var resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      var zoom = view.scale / fitScale;
      width = Math.max(timeline.clientWidth, 50);
      fitScale = width / (total * 1.02);
      view.scale = fitScale * zoom;
      // Also when only the height changed: the lanes drawn depend on it.
      render();
    }, 100);
  });

  layout();
  renderLabels();
  fit();
  render();
})();
