// Vigil console: charts (uPlot), select-all boxes, the CSRF header for htmx, live updates.
(function () {
  "use strict";
  var csrf = document.body.dataset.csrf || "";
  document.addEventListener("htmx:configRequest", function (e) {
    if (csrf) e.detail.headers["X-CSRF-Token"] = csrf;
  });

  function drawCharts(root) {
    if (typeof uPlot === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var doc = JSON.parse(source.textContent);
      var colors = ["#2f7d4f", "#d68000", "#c0392b", "#7d1f1f", "#0b5fbf", "#6b4fbb", "#1f8a9e"];
      var bars = el.dataset.kind === "bars" && uPlot.paths && uPlot.paths.bars;
      var series = [{}];
      var right = false;
      doc.series.forEach(function (s, i) {
        var line = { label: s.label, stroke: s.color || colors[i % colors.length], width: 2 };
        if (s.scale === "y2") { line.scale = "y2"; right = true; }
        if (bars) { line.paths = uPlot.paths.bars({ size: [0.6, 40] }); line.fill = line.stroke; }
        if (s.dash) line.dash = [6, 4];
        series.push(line);
      });
      var width = Math.max(280, el.clientWidth || el.parentElement.clientWidth || 600);
      var axes = [{}, { size: 60, values: function (u, ticks) { return ticks.map(short); } }];
      if (right) axes.push({ scale: "y2", side: 1, size: 50, grid: { show: false },
                             values: function (u, ticks) { return ticks.map(short); } });
      var opts = { width: width, height: Number(el.dataset.height || 180), series: series,
                   axes: axes, legend: { show: doc.series.length > 1 } };
      new uPlot(opts, [doc.x].concat(doc.series.map(function (s) { return s.values; })), el);
      el.dataset.drawn = "1";
    });
  }

  function short(v) {
    if (v == null) return "";
    var a = Math.abs(v);
    if (a >= 1e12) return (v / 1e12).toFixed(1).replace(/\.0$/, "") + "T";
    if (a >= 1e9) return (v / 1e9).toFixed(1).replace(/\.0$/, "") + "G";
    if (a >= 1e6) return (v / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(1).replace(/\.0$/, "") + "k";
    return String(Math.round(v * 100) / 100);
  }

  function selectAll() {
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.dataset.selectAll;
        box.closest("form").querySelectorAll('input[name="' + name + '"]').forEach(function (c) {
          c.checked = box.checked;
        });
      });
    });
  }

  function live() {
    var dot = document.getElementById("live");
    if (!dot || typeof EventSource === "undefined") return;
    var stream = new EventSource("/live");
    stream.onopen = function () { dot.classList.add("on"); dot.title = "Live updates: on"; };
    stream.onerror = function () { dot.classList.remove("on"); dot.title = "Live updates: reconnecting"; };
    ["finding", "alarm", "source"].forEach(function (kind) {
      stream.addEventListener(kind, function (e) {
        document.dispatchEvent(new CustomEvent("vigil:" + kind, { detail: JSON.parse(e.data) }));
        var target = document.querySelector("[data-live='" + kind + "']");
        if (target && window.htmx) window.htmx.trigger(target, "refresh");
        var note = document.getElementById("live-note");
        if (note) {
          note.querySelector("span").textContent = JSON.parse(e.data).text || "";
          note.querySelector("a").href = window.location.href;
          note.hidden = false;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    selectAll();
    live();
  });
  document.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); });
})();
