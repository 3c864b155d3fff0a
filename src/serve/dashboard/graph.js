// One numeric item's card on the device page and its uPlot graph. uPlot is the classic script that
// index.html loads before the modules (its global `uPlot`); the plot is made once per item and
// shape, then fed new columns with setData.
import { h } from "./dom.js";
import { absTime, unitAxes, unitLabel, valueFormatter } from "./format.js";
import { lastValue } from "./series.js";

const GRAPH_HEIGHT = 220;
const PALETTE = ["#2563eb", "#e11d48", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#4f46e5", "#0d9488", "#a16207"];

// uPlot's time tick formats, in 24-hour time: [tick step ≥ s, format, then the format used where
// the year, month, day, hour, minute, second changes, mode]; see uPlot's axis `values` docs.
const TIME_TICKS = [
  [365 * 86400, "{YYYY}", null, null, null, null, null, null, 1],
  [28 * 86400, "{MMM}", "\n{YYYY}", null, null, null, null, null, 1],
  [86400, "{D} {MMM}", "\n{YYYY}", null, null, null, null, null, 1],
  [3600, "{HH}:{mm}", "\n{D} {MMM} {YYYY}", null, "\n{D} {MMM}", null, null, null, 1],
  [60, "{HH}:{mm}", "\n{D} {MMM} {YYYY}", null, "\n{D} {MMM}", null, null, null, 1],
  [1, "{HH}:{mm}:{ss}", "\n{D} {MMM} {YYYY}", null, "\n{D} {MMM}", null, null, null, 1],
];

/**
 * A card for `item`: title, unit, latest value and the plot's place. `series` is what it draws
 * ({ type, rate, keys, columns, limit, raw }), `loaded` the time window it was loaded for.
 */
export function createGraph(item) {
  const plotEl = h("div", { class: "plot" });
  const title = h("h3", {}, item.id);
  const unit = h("span", { class: "unit" });
  const latest = h("span", { class: "latest" });
  const card = h("article", { class: "card graph", dataset: { item: item.id } }, h("header", {}, title, unit, latest), plotEl);
  const graph = { item, card, plotEl, title, unit, latest, plot: null, keysSig: "", observer: null, window: [0, 0], series: null, loaded: 0 };
  setGraphItem(graph, item);
  return graph;
}

/** The header from the device's view of the item (its type, its latest value). */
export function setGraphItem(graph, item) {
  graph.item = item;
  const counter = item.type === "counter";
  const { axes } = unitAxes(item.type, counter, item.keys || []);
  // Two units (network's bytes and packets): both named, one per axis.
  graph.unit.textContent = axes.length === 2 ? axes.map((axis) => axis.label).join(" · ") : unitLabel(item.type);
  graph.unit.title = counter ? "a counter, drawn as its rate per second" : `type ${item.type}`;
  if (counter) graph.title.textContent = `${item.id} /s`;
  graph.latest.textContent = item.shape === "scalar" && typeof item.latest === "number" ? valueFormatter(item.type, false, "")(item.latest) : "";
}

/** Draws `graph.series` over the x range `window`; `range` names the time range for "No data". */
export function drawGraph(graph, window, range) {
  const { type, rate, keys, columns } = graph.series;
  const bands = graph.series.bands || [];
  if (rate) graph.title.textContent = `${graph.item.id} /s`;
  if (columns[0].length === 0) {
    destroyGraph(graph);
    graph.plotEl.replaceChildren(h("div", { class: "no-data" }, `No data in the last ${range}`));
    return;
  }
  graph.window = window;
  const keysSig = `${type}|${rate}|${keys.join("\u0000")}|${bands.length}`;
  if (graph.plot && graph.keysSig === keysSig) {
    graph.plot.setData(columns);
    return;
  }
  destroyGraph(graph);
  graph.plotEl.replaceChildren();
  graph.keysSig = keysSig;
  graph.plot = new uPlot(plotOptions(graph, type, rate, keys, bands), columns, graph.plotEl);
  // The axes' labels are drawn on the canvas; the card names them too (for the tests and the curious).
  graph.card.dataset.axes = unitAxes(type, rate, keys).axes.map((axis) => axis.label || axis.unit).join(" | ");
  // The band's own series (min, max) have no place in the legend.
  const rows = graph.plot.root.querySelectorAll(".u-legend .u-series");
  for (let i = keys.length + 1; i < rows.length; i++) rows[i].classList.add("band");
  graph.card.classList.toggle("many", keys.length > 6);
  // The plot follows its card's width (the grid reflows on resize and between 1 and 2 columns).
  let frame = 0;
  graph.observer = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const width = Math.floor(graph.plotEl.clientWidth);
      if (graph.plot && width > 0 && width !== graph.plot.width) graph.plot.setSize({ width, height: GRAPH_HEIGHT });
    });
  });
  graph.observer.observe(graph.plotEl);
}

export function destroyGraph(graph) {
  if (graph.observer) graph.observer.disconnect();
  if (graph.plot) graph.plot.destroy();
  graph.observer = null;
  graph.plot = null;
  graph.keysSig = "";
}

/**
 * uPlot options: one line per key; a key with a band (rollup rows' min and max) also gets two
 * invisible series, its min and max, and a faint fill between them (uPlot's `bands`).
 */
function plotOptions(graph, type, rate, keys, bands) {
  const scalar = keys.length === 1 && keys[0] === "";
  const { scaleOf, axes } = unitAxes(type, rate, keys);
  const bandSeries = bands.flatMap((band) => [0, 1].map(() => ({ label: "", scale: scaleOf[band.key - 1], stroke: "transparent", width: 0, points: { show: false }, value: () => "" })));
  const yAxis = (axis, i) => ({
    scale: axis.scale,
    side: i === 0 ? 3 : 1,
    stroke: "#64748b",
    size: 64,
    ...(axis.label ? { label: axis.label, labelSize: 18, labelFont: "12px system-ui, sans-serif" } : {}),
    // The second axis draws no grid of its own: two grids would cross.
    grid: { show: i === 0, stroke: "#eef1f5", width: 1 },
    ticks: { show: false },
    values: (u, splits) => splits.map((v) => (v == null ? "" : axis.format(v))),
  });
  return {
    bands: bands.map((band) => ({ series: [band.max, band.min], fill: `${PALETTE[(band.key - 1) % PALETTE.length]}1f` })),
    width: Math.max(200, graph.plotEl.clientWidth),
    height: GRAPH_HEIGHT,
    cursor: { drag: { x: true, y: false }, points: { size: 6 } },
    legend: { show: true, live: true },
    scales: {
      x: { time: true, range: () => graph.window },
      ...Object.fromEntries(axes.map((axis) => [axis.scale, { range: (u, min, max) => yRange(axis.unit === "percent" ? "percent" : type, min, max) }])),
    },
    series: [
      // Away from the cursor the legend shows the latest values, not a row of dashes.
      { value: (u, ts, si, idx) => (idx == null ? "latest" : ts == null ? "—" : absTime(ts)) },
      ...keys.map((key, i) => {
        const color = PALETTE[i % PALETTE.length];
        const fmt = valueFormatter(type, rate, key);
        return {
          label: scalar ? graph.item.id : key,
          scale: scaleOf[i],
          stroke: color,
          // The second axis's curves are dashed: which scale a line is read on shows at a glance.
          ...(scaleOf[i] === "y2" ? { dash: [6, 4] } : {}),
          width: 1.5,
          // A band replaces the area fill: two fills would hide each other.
          fill: scalar && bands.length === 0 ? `${color}14` : undefined,
          points: { size: 4 },
          value: (u, v, si, idx) => {
            const shown = idx == null ? lastValue(u.data[si]) : v;
            return shown == null ? "—" : fmt(shown);
          },
        };
      }),
      ...bandSeries,
    ],
    axes: [
      { stroke: "#64748b", values: TIME_TICKS, space: 80, grid: { stroke: "#eef1f5", width: 1 }, ticks: { stroke: "#e2e8f0", width: 1 } },
      ...axes.map(yAxis),
    ],
  };
}

function yRange(type, min, max) {
  if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (type === "percent" && min >= 0 && max <= 100) {
    // Percentages start at 0 and stop at a round step above the data (at most 100).
    const top = max <= 0 ? 10 : Math.min(100, Math.ceil((max * 1.15) / 10) * 10);
    return [0, top];
  }
  const [lo, hi] = uPlot.rangeNum(min, max, 0.1, true);
  return [min >= 0 ? Math.max(0, lo) : lo, hi];
}
