/*
 * The timeline of the page `corolint view` writes (inlined into viewer.html). It reads the model the
 * CLI put in #corolint-data:
 *   { start, end (µs), lanes: [{name, pid, tid}], spans: [{lane, ts, dur, name, blocked, file, line,
 *     function, stack, samples, unfinished}], flows: [{cat, from: {lane, ts}, to: {lane, ts}}] }
 * and draws one SVG: a time axis, one lane per thread or task, spans as bars (blocked ones red),
 * flow events as arrows. Zoom: wheel or the +/- buttons; pan: drag or shift+wheel; a click on a span
 * shows its stack in the side panel. Plain ES2017, no modules, nothing fetched.
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
  var BAR_PAD = 6;
  var MIN_BAR_PX = 2;

  var model = JSON.parse(document.getElementById("corolint-data").textContent);
  // Defined by VS Code inside a webview only; it may be called once per page.
  var vscodeApi = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
  var timeline = document.getElementById("timeline");
  var labels = document.getElementById("lane-labels");
  var details = document.getElementById("details");
  var zoomLevel = document.getElementById("zoom-level");

  var total = Math.max(model.end - model.start, 1);
  /** What is on screen: the time at the left edge (µs) and pixels per µs. */
  var view = { start: model.start, scale: 1 };
  var fitScale = 1;
  var width = 0;
  var selected = -1;

  // Spans per lane, sorted by start, so that drawing can skip bars hidden under the previous one.
  var byLane = model.lanes.map(function () { return []; });
  model.spans.forEach(function (span, index) { byLane[span.lane].push(index); });
  byLane.forEach(function (indexes) {
    indexes.sort(function (a, b) { return model.spans[a].ts - model.spans[b].ts; });
  });

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

  function tooltip(span) {
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

  function laneY(lane) { return AXIS_H + lane * LANE_H; }

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

  function render() {
    width = Math.max(timeline.clientWidth, 50);
    var height = AXIS_H + Math.max(model.lanes.length, 1) * LANE_H;
    timeline.textContent = "";
    var svg = el("svg", { width: width, height: height, id: "timeline-svg", role: "img", "aria-label": "timeline" }, timeline);
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", "class": "flow-head" }, marker);

    model.lanes.forEach(function (_lane, index) {
      el("rect", { x: 0, y: laneY(index), width: width, height: LANE_H, "class": "lane-bg" + (index % 2 ? " alt" : "") }, svg);
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

    // Spans: ordinary ones first, blocked ones on top.
    var bars = el("g", { "class": "bars" }, svg);
    [false, true].forEach(function (blockedPass) {
      byLane.forEach(function (indexes, lane) {
        var drawnUntil = -Infinity;
        indexes.forEach(function (index) {
          var span = model.spans[index];
          if (!!span.blocked !== blockedPass) return;
          var x0 = x(span.ts);
          var x1 = x(span.ts + span.dur);
          if (x1 < 0 || x0 > width) return;
          // Thousands of spans in one pixel: draw the first, the rest are under it.
          if (x1 <= drawnUntil && index !== selected) return;
          var left = Math.max(x0, -10);
          var right = Math.min(x1, width + 10);
          var w = Math.max(right - left, MIN_BAR_PX);
          drawnUntil = left + w;
          var y = laneY(lane) + BAR_PAD;
          var h = LANE_H - 2 * BAR_PAD;
          var rect = el("rect", {
            x: left, y: y, width: w, height: h, rx: 2,
            "class": "bar" + (span.blocked ? " blocked" : "") + (index === selected ? " selected" : ""),
            "data-index": index,
            tabindex: 0,
            "aria-label": tooltip(span).split("\n")[0] + (span.blocked ? " at " + where(span) : ""),
          }, bars);
          el("title", {}, rect).textContent = tooltip(span);
          var text = (span.blocked ? (span["function"] || "blocked") + (span.file ? " (" + span.file.split(/[\\/]/).pop() + ":" + span.line + ")" : "") : span.name) + " " + ms(span.dur);
          var visible = Math.max(Math.min(x1, width) - Math.max(x0, 0), 0);
          var chars = Math.floor((visible - 8) / 6.5);
          if (chars >= 4) {
            var label = el("text", { x: Math.max(x0, 0) + 4, y: y + h / 2 + 4, "class": "bar-label" }, bars);
            label.textContent = text.length > chars ? text.slice(0, chars - 1) + "\u2026" : text;
          }
        });
      });
    });

    // Flow arrows (a task spawning another), from the "s" event to its "f" event.
    var flows = el("g", { "class": "flows" }, svg);
    model.flows.forEach(function (flow) {
      var fx = x(flow.from.ts), tx2 = x(flow.to.ts);
      if (Math.max(fx, tx2) < 0 || Math.min(fx, tx2) > width) return;
      var fy = laneY(flow.from.lane) + LANE_H / 2;
      var ty = laneY(flow.to.lane) + LANE_H / 2;
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
    var pids = {};
    model.lanes.forEach(function (lane) { pids[lane.pid] = true; });
    var manyProcesses = Object.keys(pids).length > 1;
    model.lanes.forEach(function (lane) {
      var row = html("div", "lane-label", null, labels);
      row.style.height = LANE_H + "px";
      row.title = lane.name + " (pid " + lane.pid + ", tid " + lane.tid + ")";
      html("span", "name", lane.name, row);
      if (manyProcesses) html("span", "pid", "pid " + lane.pid, row);
    });
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

  function panBy(px) {
    view.start += px / view.scale;
    clampView();
    render();
  }

  function select(index) {
    selected = index;
    render();
    details.textContent = "";
    var span = model.spans[index];
    if (!span) {
      html("p", "placeholder", "Click a red (blocked) span to see its stack.", details);
      return;
    }
    var heading = html("h3", span.blocked ? "" : "plain", (span.blocked ? "Blocked " : span.name + " ") + ms(span.dur) + (span.unfinished ? " (unfinished: the program ended during the block)" : ""), details);
    heading.id = "details-title";
    if (span.blocked || span.file) html("p", "where", where(span), details);
    html("p", "meta", "from " + ms(span.ts - model.start) + " to " + ms(span.ts + span.dur - model.start) + " on " + model.lanes[span.lane].name, details);
    if (typeof span.samples === "number") html("p", "meta", span.samples + " stack sample" + (span.samples === 1 ? "" : "s"), details);
    if (span.stack && span.stack.length) {
      html("h4", "", "Stack (innermost first)", details);
      var list = html("ol", "stack", null, details);
      span.stack.forEach(function (frame) { html("li", "", frame, list); });
    } else if (span.blocked) {
      html("p", "meta", "No stack was recorded for this block.", details);
    }
  }

  /** In the VS Code panel: asks the extension to open `file` at `line` (1-based). Elsewhere nothing. */
  function openSource(file, line) {
    if (vscodeApi && typeof file === "string" && file !== "" && typeof line === "number" && line > 0) {
      vscodeApi.postMessage({ type: "open", file: file, line: line });
    }
  }

  /** A span chosen by the user: its stack in the side panel, and its line in the editor. */
  function choose(index) {
    select(index);
    var span = model.spans[index];
    if (span) openSource(span.file, span.line);
  }

  /** Centers a span and selects it (from the top-blockers table). */
  function reveal(index) {
    var span = model.spans[index];
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
    if (target && target.getAttribute && target.getAttribute("data-index") !== null) choose(Number(target.getAttribute("data-index")));
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
  document.addEventListener("keydown", function (event) {
    if (event.target && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) return;
    if (event.key === "+" || event.key === "=") zoomAt(width / 2, 1.5);
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

  var resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      var zoom = view.scale / fitScale;
      var oldWidth = width;
      width = Math.max(timeline.clientWidth, 50);
      fitScale = width / (total * 1.02);
      view.scale = fitScale * zoom;
      if (oldWidth !== width) render();
    }, 100);
  });

  renderLabels();
  fit();
  render();
})();
