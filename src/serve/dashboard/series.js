// A graph's data as uPlot draws it: columns [times, values of key 1, values of key 2, …] built from
// the series API's points, and the values of a record pushed over /ws appended to them. Pure (uPlot's
// `join` comes in as an argument), tested in test/unit/dashboard-series.test.ts.

/**
 * A record's value as the store keeps its numbers (src/serve/store.ts): a number under the key "",
 * an array by index, an object by key; null for text.
 */
export function flatten(value) {
  if (typeof value === "number") return { "": value };
  if (!value || typeof value !== "object") return null;
  const out = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === "number") out[key] = v;
  return out;
}

/**
 * Series points → uPlot columns through `join` (uPlot.join): one shared time axis, `undefined` where
 * a key has no point at a time (uPlot continues the line), and a `null` break where the device was
 * silent for much longer than its period (the line breaks instead of bridging an outage).
 *
 * A point from a rollup tier is [t, avg, min, max]: a key whose points all carry min and max gets
 * two more columns after the keys' (its min, its max), named in `bands` ({ key, min, max }: column
 * indices), which the graph draws as a faint band around the line.
 */
export function alignSeries(join, keys, points, periodSeconds) {
  if (!keys.length) return { columns: [[]], limit: gapLimit([], periodSeconds), bands: [] };
  const tables = keys.map((key) => {
    const xs = [];
    const ys = [];
    const mins = [];
    const maxes = [];
    for (const [t, v, min, max] of points[key] || []) {
      if (typeof t !== "number" || typeof v !== "number") continue;
      xs.push(t);
      ys.push(v);
      mins.push(min);
      maxes.push(max);
    }
    const banded = xs.length > 0 && mins.every((m) => typeof m === "number") && maxes.every((m) => typeof m === "number");
    return banded ? [xs, ys, mins, maxes] : [xs, ys];
  });
  const joined = join(tables);
  // join gives each table's columns in turn; the keys' columns come first, then the bands'.
  const columns = [joined[0]];
  const bandColumns = [];
  const bands = [];
  let at = 1;
  tables.forEach((table, k) => {
    columns.push(joined[at]);
    if (table.length === 4) {
      bands.push({ key: k + 1, min: keys.length + 1 + bandColumns.length, max: keys.length + 2 + bandColumns.length });
      bandColumns.push(joined[at + 1], joined[at + 2]);
    }
    at += table.length - 1;
  });
  columns.push(...bandColumns);
  const limit = gapLimit(columns[0], periodSeconds);
  return { columns: withBreaks(columns, limit), limit, bands };
}

/** A pushed record's values (one per key) with each band's min and max: the value itself. */
export function withBands(values, bands) {
  const out = [...values];
  for (const band of bands || []) out.push(values[band.key - 1], values[band.key - 1]);
  return out;
}

/** The step a series request asks for: about 600 points over the range, at least a minute. */
export function seriesStep(rangeSeconds) {
  return Math.max(60, Math.round(rangeSeconds / 600));
}

/** The longest silence drawn as a line: 3 × the usual step between points, at least 2.5 periods. */
export function gapLimit(xs, periodSeconds) {
  const period = 2.5 * (periodSeconds || 0);
  if (xs.length < 2) return period || Number.POSITIVE_INFINITY;
  const deltas = [];
  for (let i = 1; i < xs.length; i++) deltas.push(xs[i] - xs[i - 1]);
  deltas.sort((a, b) => a - b);
  return Math.max(3 * deltas[Math.floor(deltas.length / 2)], period);
}

function withBreaks(columns, limit) {
  const xs = columns[0];
  let breaks = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] - xs[i - 1] > limit) breaks++;
  if (!breaks) return columns;
  const out = columns.map(() => []);
  for (let i = 0; i < xs.length; i++) {
    if (i > 0 && xs[i] - xs[i - 1] > limit) {
      out[0].push(xs[i - 1] + 1);
      for (let k = 1; k < columns.length; k++) out[k].push(null);
    }
    for (let k = 0; k < columns.length; k++) out[k].push(columns[k][i]);
  }
  return out;
}

/**
 * Adds one point (`values[k]` for key k, `undefined` where the record has none) to the columns, in
 * place: after a silence longer than `limit` behind a break, a late record in its place, a record of
 * a second already drawn over that second's values (as the store patches them in).
 */
export function appendPoint(columns, t, values, limit) {
  const xs = columns[0];
  let i = xs.length;
  while (i > 0 && xs[i - 1] > t) i--;
  if (i > 0 && xs[i - 1] === t) {
    values.forEach((v, k) => {
      if (v !== undefined) columns[k + 1][i - 1] = v;
    });
    return columns;
  }
  if (i === xs.length && i > 0 && t - xs[i - 1] > limit) {
    columns[0].push(xs[i - 1] + 1);
    for (let k = 1; k < columns.length; k++) columns[k].push(null);
    i++;
  }
  columns[0].splice(i, 0, t);
  for (let k = 1; k < columns.length; k++) columns[k].splice(i, 0, values[k - 1]);
  return columns;
}

/** Drops the points before `from` (the left edge of the time range), in place. */
export function trimBefore(columns, from) {
  const xs = columns[0];
  let n = 0;
  while (n < xs.length && xs[n] < from) n++;
  // A break left at the front draws nothing: it goes too.
  while (n < xs.length && columns.slice(1).every((col) => col[n] === null)) n++;
  if (n) for (const col of columns) col.splice(0, n);
  return columns;
}

/** A counter's rate between two readings [t, value], as the series API computes it (toRates in src/serve/api.ts): none across a reset. */
export function rateBetween(previous, next) {
  const [t0, v0] = previous;
  const [t1, v1] = next;
  return t1 > t0 && v1 >= v0 ? (v1 - v0) / (t1 - t0) : undefined;
}

/**
 * Curves in the record's order (the item's keys: load 1m, 5m, 15m), then any others; the series
 * answer may list them sorted as text, which puts CPU 10 before CPU 2.
 */
export function orderKeys(keys, itemKeys) {
  const rank = new Map((itemKeys || []).map((key, i) => [key, i]));
  const byText = new Intl.Collator(undefined, { numeric: true });
  return [...keys].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || byText.compare(a, b));
}

export function lastValue(column) {
  for (let i = (column || []).length - 1; i >= 0; i--) if (column[i] != null) return column[i];
  return null;
}

// A new device has minutes of data: the time axis fits the data (at least this span) rather than
// squeezing it against the right edge of a 24-hour range; the right edge stays at now.
const MIN_SPAN_S = 60;

/** The x range a graph shows of the window [from, to]: from the data's start (with a margin) to now. */
export function timeWindow(xs, from, to) {
  const right = Math.max(to, xs[xs.length - 1]);
  const span = Math.max(right - xs[0], MIN_SPAN_S) * 1.04;
  return [Math.max(from, right - span), right];
}
