// Vigil console: CloudWatch dashboard graphs with uPlot: left and right axes (min, max,
// label), stacked areas, horizontal and vertical annotations (lines and bands, fill above,
// below, before or after), the legend's place, and sparklines under single values.
(function () {
  "use strict";

  function short(v) {
    if (v == null) return "";
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(1).replace(/\.0$/, "") + "G";
    if (a >= 1e6) return (v / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(1).replace(/\.0$/, "") + "k";
    return String(Math.round(v * 100) / 100);
  }

  function range(axis, fromZero) {
    return function (u, low, high) {
      var lo = axis && axis.min != null ? axis.min : (fromZero ? Math.min(0, low) : low);
      var hi = axis && axis.max != null ? axis.max : high;
      if (lo === hi) { lo -= 1; hi += 1; }
      return [lo, hi];
    };
  }

  function verticals(notes) {
    return function (u) {
      var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, top, u.bbox.width, height);
      ctx.clip();  // a time outside the range draws nothing outside the plot
      notes.forEach(function (n) {
        var x = u.valToPos(n.value, "x", true);
        ctx.save();
        ctx.strokeStyle = n.color; ctx.fillStyle = n.color + "22"; ctx.lineWidth = 1;
        if (n.until != null) {
          var x2 = u.valToPos(n.until, "x", true);
          ctx.fillRect(Math.min(x, x2), top, Math.abs(x2 - x), height);
        } else if (n.fill === "before" || n.fill === "after") {
          var edge = n.fill === "before" ? u.bbox.left : u.bbox.left + u.bbox.width;
          ctx.fillRect(Math.min(x, edge), top, Math.abs(edge - x), height);
        }
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
        ctx.restore();
      });
      ctx.restore();
    };
  }

  function draw(el) {
    if (el.dataset.drawn || typeof uPlot === "undefined") return;
    var doc = JSON.parse(document.getElementById(el.dataset.dashChart).textContent);
    var spark = el.dataset.kind === "spark";
    var axes = doc.axes || {};
    var series = [{}], data = [doc.x];
    var right = false;
    doc.series.forEach(function (s) {
      // CloudWatch joins a series' datapoints across periods without one; each point is marked
      var line = { label: s.label, stroke: s.color, width: spark ? 1 : 2, scale: s.scale || "y",
                   spanGaps: true, points: { show: !spark, size: 4, fill: s.color } };
      if (s.scale === "y2") right = true;
      if (doc.stacked) line.fill = s.color + "55";
      series.push(line);
      data.push(s.values);
    });
    var notes = (doc.annotations || []).filter(function (n) { return !n.vertical; });
    notes.forEach(function (n) {
      [n.value].concat(n.until != null ? [n.until] : []).forEach(function (value, i) {
        var line = { label: n.label || String(value), stroke: n.color, width: 1, dash: [6, 4],
                     scale: n.scale, points: { show: false } };
        if (n.scale === "y2") right = true;
        if (i === 0 && (n.fill === "above" || n.fill === "below")) {
          line.fill = n.color + "22";
          line.fillTo = function (u) {
            var sc = u.scales[n.scale];
            return n.fill === "above" ? sc.max : sc.min;
          };
        }
        series.push(line);
        data.push(doc.x.map(function () { return value; }));
      });
    });
    if (notes.some(function (n) { return n.until != null; })) {
      var bands = [];
      var at = doc.series.length + 1;
      notes.forEach(function (n) {
        if (n.until != null) { bands.push({ series: [at + 1, at], fill: n.color + "22" }); at += 2; }
        else { at += 1; }
      });
    }
    var width = Math.max(spark ? 60 : 240, el.clientWidth || el.parentElement.clientWidth || 400);
    var opts = {
      width: width, height: Number(el.dataset.height || 180), series: series,
      scales: { y: { range: range(axes.left, doc.stacked) },
                y2: { range: range(axes.right, doc.stacked) } },  // stacked areas stand on 0
      legend: { show: !spark && doc.legend !== "hidden" && series.length > 1, live: false },
      cursor: { show: !spark },
      axes: spark ? [{ show: false }, { show: false }] : [
        {},
        { scale: "y", size: 56, label: axes.left && axes.left.label || undefined,
          values: function (u, t) { return t.map(short); } },
      ],
      hooks: { draw: [verticals((doc.annotations || []).filter(function (n) { return n.vertical; }))] },
    };
    if (bands && bands.length) opts.bands = bands;
    if (right && !spark) {
      opts.axes.push({ scale: "y2", side: 1, size: 50, grid: { show: false },
                       label: axes.right && axes.right.label || undefined,
                       values: function (u, t) { return t.map(short); } });
    }
    new uPlot(opts, data, el);
    el.dataset.drawn = "1";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-dash-chart]").forEach(draw);
  });
})();
