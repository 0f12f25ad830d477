extension ConsolePage {
    /// The page's plots, drawn on canvas by this code: one line per series over the seconds of
    /// history, a y axis from zero to a round maximum, a time axis in minutes back, a legend.
    static let plots = #"""
        "use strict";
        const PALETTE = ["#2456a6", "#c2571a", "#1f8a4c", "#8e3bb0", "#b8860b", "#0f7c8a", "#c62828", "#555"];
        const colours = new Map();
        function colourOf(name) {
          if (!colours.has(name)) colours.set(name, PALETTE[colours.size % PALETTE.length]);
          return colours.get(name);
        }
        function roundUp(value) {
          if (value <= 0) return 1;
          const step = Math.pow(10, Math.floor(Math.log10(value)));
          for (const k of [1, 2, 5, 10]) if (k * step >= value) return k * step;
          return 10 * step;
        }
        // One series per name; with `zero`, a second without a value counts 0 (counts), else it
        // is left out (latencies).
        function seriesFrom(samples, pick, zero) {
          const series = new Map();
          for (const sample of samples) for (const [name, value] of pick(sample)) {
            if (value !== undefined && value !== null && !series.has(name)) series.set(name, []);
          }
          for (const sample of samples) {
            const values = new Map(pick(sample));
            for (const [name, points] of series) {
              const value = values.get(name);
              if (value !== undefined && value !== null) points.push([sample.t, value]);
              else if (zero) points.push([sample.t, 0]);
            }
          }
          return series;
        }
        function drawChart(canvas, lines, unit) {
          const ctx = canvas.getContext("2d");
          const w = canvas.width, h = canvas.height, left = 46, right = 8, top = 8, bottom = 34;
          ctx.clearRect(0, 0, w, h);
          ctx.font = "11px system-ui, sans-serif";
          let tMax = 0, tMin = Infinity, vMax = 0;
          for (const line of lines) for (const [t, v] of line.points) {
            tMax = Math.max(tMax, t); tMin = Math.min(tMin, t); vMax = Math.max(vMax, v);
          }
          if (!isFinite(tMin)) { ctx.fillStyle = "#888"; ctx.fillText("no data yet", left + 8, top + 20); return; }
          tMin = Math.min(tMin, tMax - 60000);
          const yMax = roundUp(vMax * 1.1);
          const x = (t) => left + (w - left - right) * (t - tMin) / Math.max(1, tMax - tMin);
          const y = (v) => h - bottom - (h - top - bottom) * v / yMax;
          ctx.strokeStyle = "#ddd"; ctx.fillStyle = "#666"; ctx.lineWidth = 1;
          for (const fraction of [0, 0.5, 1]) {
            const value = yMax * fraction, py = y(value);
            ctx.beginPath(); ctx.moveTo(left, py); ctx.lineTo(w - right, py); ctx.stroke();
            ctx.fillText((value >= 100 ? value.toFixed(0) : +value.toPrecision(3)) + unit, 2, py + 4);
          }
          const minutes = Math.floor((tMax - tMin) / 60000);
          for (let m = 0; m <= minutes; m++) {
            const px = x(tMax - m * 60000);
            ctx.fillText(m === 0 ? "now" : "-" + m + "m", Math.min(px - 10, w - right - 22), h - bottom + 13);
          }
          let legendX = left;
          for (const line of lines) {
            ctx.strokeStyle = line.colour; ctx.lineWidth = 1.5; ctx.setLineDash(line.dashed ? [4, 3] : []);
            ctx.beginPath();
            line.points.forEach(([t, v], i) => { if (i === 0) ctx.moveTo(x(t), y(v)); else ctx.lineTo(x(t), y(v)); });
            if (line.points.length === 1) { const [t, v] = line.points[0]; ctx.arc(x(t), y(v), 1.5, 0, 2 * Math.PI); }
            ctx.stroke();
            ctx.setLineDash([]);
            if (!line.dashed) {
              ctx.fillStyle = line.colour; ctx.fillRect(legendX, h - 12, 10, 3);
              ctx.fillStyle = "#333"; ctx.fillText(line.name, legendX + 13, h - 8);
              legendX += 20 + ctx.measureText(line.name).width;
            }
          }
        }
        function drawPlots(samples) {
          const services = (sample, field) => Object.entries(sample.services || {}).map(([name, f]) => [name, f[field]]);
          const plain = (series) => [...series].map(([name, points]) => ({ name, points, colour: colourOf(name) }));
          drawChart(document.getElementById("plot-events"), plain(seriesFrom(samples, (s) => services(s, "events"), true)), "");
          const p50 = plain(seriesFrom(samples, (s) => services(s, "p50")));
          const p99 = plain(seriesFrom(samples, (s) => services(s, "p99"))).map((line) => ({ ...line, dashed: true }));
          drawChart(document.getElementById("plot-latency"), p50.concat(p99), "");
          drawChart(document.getElementById("plot-connections"),
                    plain(seriesFrom(samples, (s) => Object.entries(s.connections || {}), true)), "");
          drawChart(document.getElementById("plot-failures"), plain(seriesFrom(samples, (s) => services(s, "failures"), true)), "");
        }
        """#
}
