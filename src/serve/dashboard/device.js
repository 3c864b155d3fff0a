// The device page (#/device/<id>): its facts and push period, its alerts, a graph per numeric item
// and a table per text item. Graphs load their series as they come into view; a record pushed over
// /ws is appended to the graphs already drawn, with no series request.
import { alertTable } from "./alerts.js";
import { api, devicePath, deviceHash } from "./api.js";
import { coalesce } from "./coalesce.js";
import { containersTable } from "./containers.js";
import { alertList, errorBox, h, labelChips, since, statusBadge } from "./dom.js";
import { absTime } from "./format.js";
import { createGraph, destroyGraph, drawGraph, setGraphItem } from "./graph.js";
import { createPeriodEditor } from "./period.js";
import { alignSeries, appendPoint, flatten, orderKeys, rateBetween, seriesStep, timeWindow, trimBefore, withBands } from "./series.js";

// Up to 30 days the store answers from raw samples or 5-minute buckets, beyond from 1-hour ones
// (src/serve/tsdb/tiers.ts); the request's step keeps every range at about 600 points.
const RANGES = { "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 86400, "30d": 30 * 86400, "90d": 90 * 86400, "1y": 365 * 86400 };
const DEFAULT_RANGE = "24h";
// Items drawn first on a device page; the others follow in the API's order.
// power's graph is the device's power timeline: each under-voltage and throttling flag over time.
const ITEM_ORDER = ["cpu", "cpu_per_cpu", "memory", "diskusage", "temperature", "power", "load", "network", "network_interfaces", "disk_io", "wifi"];
/** Numeric items that also get a table in Details (their latest value, one row per container). */
const TABLES = { containers: containersTable };
/** Pushed records kept to redo on a graph whose series request was under way when they came. */
const RECENT_RECORDS = 20;
/** Items in one series request: the receiver takes up to 200 (MAX_SERIES_ITEMS); a URL of 100 ids stays short. */
const SERIES_PER_REQUEST = 100;
/** Alerts of the device listed at the foot of its page (the Alerts page has them all). */
const ALERT_HISTORY = 20;

export function deviceView(root, id, params) {
  let range = RANGES[params.get("range")] ? params.get("range") : DEFAULT_RANGE;
  let detail = null;
  let seriesGeneration = 0;
  let seriesWindow = null; // the time range of the current generation: { from, to }
  const failed = new Map(); // item id → why its series did not load
  let destroyed = false;
  const graphs = new Map(); // item id → a graph (graph.js)
  const recent = []; // the last pushed records: { n, t, items }
  let received = 0; // pushed records so far: a record's n
  const latestAt = new Map(); // item id → the time of its latest value pushed while the page is open
  // Graph cards in or near the viewport; only those fetch their series.
  const visible = new Set();
  const viewport = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) visible.add(entry.target);
        else visible.delete(entry.target);
      }
      loadVisible();
    },
    { rootMargin: "400px 0px" },
  );
  const stringCards = new Map();

  // The header's parts are built once; a refresh replaces their contents but never detaches the
  // period box, so an open Edit form (its text, its focus) survives live updates.
  const period = createPeriodEditor(id, (device, seconds) => {
    if (device) detail.device = device;
    else detail.device.periodSeconds = seconds;
    renderHead();
  });
  const titleBox = h("div", { class: "device-title" });
  const periodFact = h("div", { class: "period-fact" }, h("dt", {}, "Push period"), h("dd", {}, period.el));
  const factsList = h("dl", { class: "facts" }, periodFact);
  const head = h("section", { class: "device-head card" }, titleBox, factsList);
  let factNodes = [];
  const rangeBox = h("div", { class: "ranges", role: "group", "aria-label": "Time range" });
  const alertsBox = h("section", { class: "device-alerts" });
  const historyBox = h("section", { class: "device-alert-history", hidden: true });
  const stringsHead = h("div", { class: "toolbar" }, h("h2", {}, "Details"));
  const stringsBox = h("section", { class: "strings-grid" });
  const graphsBox = h("section", { class: "graphs" });
  const status = h("div", { class: "status-line" });
  root.replaceChildren(
    h("nav", { class: "crumbs" }, h("a", { href: "#/" }, "← Fleet")),
    head,
    alertsBox,
    h("div", { class: "toolbar" }, h("h2", {}, "Metrics"), rangeBox),
    status,
    graphsBox,
    stringsHead,
    stringsBox,
    historyBox,
  );
  renderRanges();

  /** The device's last alerts, firing or not, at the foot of the page. */
  async function loadAlertHistory() {
    try {
      const { alerts } = await api(`/api/alerts?state=all&device=${encodeURIComponent(id)}&limit=${ALERT_HISTORY}`);
      if (destroyed) return;
      historyBox.hidden = alerts.length === 0;
      historyBox.replaceChildren(
        h("div", { class: "toolbar" }, h("h2", {}, "Alert history"), h("a", { href: "#/alerts" }, "All alerts →")),
        h("div", { class: "table-card" }, alertTable(alerts, false)),
      );
    } catch {
      // The page's own requests show what is wrong.
    }
  }
  const reloadAlertHistory = coalesce(loadAlertHistory, 300);

  async function loadDetail() {
    try {
      detail = await api(devicePath(id));
    } catch (err) {
      if (destroyed) return false;
      if (!detail) {
        root.replaceChildren(
          h("nav", { class: "crumbs" }, h("a", { href: "#/" }, "← Fleet")),
          err.status === 404 ? h("div", { class: "notice" }, "No device named ", h("code", {}, id), " has reported to this server.") : errorBox(err),
        );
        destroyed = true;
      }
      return false;
    }
    if (destroyed) return false;
    render();
    return true;
  }

  async function load() {
    if (await loadDetail()) {
      loadAlertHistory();
      await loadSeries();
    }
  }
  const reloadDetail = coalesce(loadDetail, 300);

  function render() {
    renderHead();
    renderAlerts();
    renderStrings();
    syncGraphs();
  }

  function renderHead() {
    const d = detail.device;
    const facts = [
      ["Hostname", d.hostname || "—"],
      ["Last seen", since(d.lastSeen)],
      ["First seen", d.firstSeen ? h("span", { title: absTime(d.firstSeen) }, absTime(d.firstSeen)) : "—"],
      ["Address", d.address || "—"],
      ["Machine id", d.machineId ? h("code", { class: "machine-id" }, d.machineId) : "—"],
    ];
    titleBox.replaceChildren(h("h1", {}, d.id), statusBadge(d.status), ...(Object.keys(d.labels || {}).length ? [labelChips(d.labels)] : []));
    for (const node of factNodes) node.remove();
    factNodes = facts.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)));
    periodFact.before(...factNodes);
    period.show(d.periodSeconds);
  }

  function renderRanges() {
    rangeBox.replaceChildren(
      ...Object.keys(RANGES).map((name) =>
        h(
          "button",
          {
            type: "button",
            class: `btn range${name === range ? " active" : ""}`,
            "aria-pressed": name === range ? "true" : "false",
            dataset: { range: name },
            onclick: () => {
              if (name === range) return;
              range = name;
              // The range belongs in the address (shareable) without re-rendering the page.
              history.replaceState(null, "", `${location.pathname}${location.search}${deviceHash(id)}?range=${name}`);
              renderRanges();
              loadSeries();
            },
          },
          name,
        ),
      ),
    );
  }

  function renderAlerts() {
    const alerts = detail.device.alerts || [];
    alertsBox.replaceChildren(...(alerts.length ? [alertList(alerts)] : []));
  }

  function orderedItems(filter) {
    const items = (detail.items || []).filter(filter);
    const rank = (item) => {
      const i = ITEM_ORDER.indexOf(item.id);
      return i === -1 ? ITEM_ORDER.length : i;
    };
    return items
      .map((item, index) => ({ item, index }))
      .sort((a, b) => rank(a.item) - rank(b.item) || a.index - b.index)
      .map((x) => x.item);
  }

  function renderStrings() {
    const items = orderedItems((item) => item.shape === "string" || item.id in TABLES);
    for (const [itemId, card] of stringCards) {
      if (!items.some((item) => item.id === itemId)) {
        card.remove();
        stringCards.delete(itemId);
      }
    }
    for (const item of items) {
      const value = item.latest;
      const rows = value && typeof value === "object" ? Object.entries(value) : null;
      const content = TABLES[item.id]
        ? TABLES[item.id](value)
        : rows
        ? h("table", {}, h("tbody", {}, rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, String(v))))))
        : h("p", { class: "string-value" }, value == null ? "—" : String(value));
      const card = h("article", { class: "card strings", dataset: { item: item.id } }, h("header", {}, h("h3", {}, item.id)), content);
      const old = stringCards.get(item.id);
      if (old) old.replaceWith(card);
      else stringsBox.append(card);
      stringCards.set(item.id, card);
    }
    // Keep the cards in item order after additions.
    for (const item of items) stringsBox.append(stringCards.get(item.id));
    stringsBox.hidden = stringsHead.hidden = items.length === 0;
  }

  /** One card per numeric item, created once and kept across refreshes (so are their plots). */
  function syncGraphs() {
    const items = orderedItems((item) => item.shape !== "string");
    for (const [itemId, graph] of graphs) {
      if (!items.some((item) => item.id === itemId)) {
        destroyGraph(graph);
        viewport.unobserve(graph.card);
        visible.delete(graph.card);
        graph.card.remove();
        graphs.delete(itemId);
      }
    }
    for (const item of items) {
      let graph = graphs.get(item.id);
      if (!graph) {
        graph = createGraph(item);
        graphs.set(item.id, graph);
        viewport.observe(graph.card);
      } else setGraphItem(graph, item);
      graphsBox.append(graph.card);
    }
    graphsBox.classList.toggle("is-empty", items.length === 0);
  }

  /** A new time window (another range, a reconnect): every graph is stale, the visible ones load now. */
  async function loadSeries() {
    seriesGeneration++;
    const to = Math.ceil(Date.now() / 1000);
    seriesWindow = { from: to - RANGES[range], to };
    failed.clear();
    status.replaceChildren();
    await loadVisible();
  }

  /**
   * Series for the graphs in (or near) view that the current window has not loaded yet: a device
   * with thousands of items asks for the few on screen, the rest as they scroll into view.
   */
  async function loadVisible() {
    if (!seriesWindow) return;
    const generation = seriesGeneration;
    const { from, to } = seriesWindow;
    const wanted = [...graphs.values()].filter((g) => visible.has(g.card) && g.loaded !== generation);
    if (!wanted.length) return;
    for (const graph of wanted) graph.loaded = generation;
    const mark = received;
    const step = seriesStep(RANGES[range]);
    // One request for the graphs in view (in groups under the receiver's cap of items a request),
    // not one per graph; an item that fails comes back with its error, the others are drawn.
    const groups = [];
    for (let i = 0; i < wanted.length; i += SERIES_PER_REQUEST) groups.push(wanted.slice(i, i + SERIES_PER_REQUEST));
    const answers = await Promise.all(
      groups.map((group) =>
        api(`${devicePath(id)}/series?items=${group.map((g) => encodeURIComponent(g.item.id)).join(",")}&from=${from}&to=${to}&step=${step}`).then(
          (answer) => group.map((graph, i) => {
            const series = answer.series[i];
            return series.error ? { graph, error: new Error(series.error) } : { graph, series };
          }),
          (error) => group.map((graph) => ({ graph, error })),
        ),
      ),
    );
    const results = answers.flat();
    // A newer load (another range, a reconnect) started meanwhile: its answer wins.
    if (generation !== seriesGeneration || destroyed) return;
    for (const { graph, series, error } of results) {
      if (graphs.get(graph.item.id) !== graph) continue;
      if (error) {
        failed.set(graph.item.id, error.message);
        continue;
      }
      const keys = orderKeys(series.keys && series.keys.length ? series.keys : Object.keys(series.points || {}), graph.item.keys);
      // uPlot: the global of the classic script index.html loads before the modules.
      const { columns, limit, bands } = alignSeries(uPlot.join, keys, series.points || {}, detail.device.periodSeconds);
      // A counter's band would be of its readings, not of its rate: none.
      const rate = Boolean(series.rate);
      graph.series = { type: series.type || graph.item.type, rate, keys, columns, limit, bands: rate ? [] : bands };
      if (rate && bands.length) columns.splice(keys.length + 1);
      // Records pushed while the request was under way may be missing from its answer.
      for (const record of recent) if (record.n > mark && graph.item.id in record.items) append(graph, record);
      draw(graph);
    }
    if (failed.size) status.replaceChildren(h("div", { class: "notice error" }, `Could not load ${[...failed].map(([item, message]) => `${item}: ${message}`).join("; ")}`));
  }

  function draw(graph) {
    const { from, to } = seriesWindow;
    trimBefore(graph.series.columns, from);
    const xs = graph.series.columns[0];
    drawGraph(graph, xs.length ? timeWindow(xs, from, to) : [from, to], range);
  }

  /** The last reading of an item before `t`, [t, value], among the records pushed since the page opened. */
  function readingBefore(itemId, t) {
    for (let i = recent.length - 1; i >= 0; i--) {
      const record = recent[i];
      if (record.t < t && itemId in record.items) return [record.t, record.items[itemId]];
    }
    return null;
  }

  /**
   * Adds a pushed record's values to a graph's series. False when they do not fit: keys it has no
   * curve for, or a counter with no reading before it here (the series holds rates, not the counter's
   * values): the graph then loads its series again.
   */
  function append(graph, record) {
    const flat = flatten(record.items[graph.item.id]);
    const s = graph.series;
    if (!flat) return true;
    const known = new Set(s.keys);
    if (Object.keys(flat).some((key) => !known.has(key))) {
      if (s.columns[0].length) return false;
      // Nothing drawn yet (no data in the range): the record's own keys become the curves.
      s.keys = orderKeys(Object.keys(flat), graph.item.keys);
      s.columns = [[], ...s.keys.map(() => [])];
      s.bands = [];
    }
    let values = s.keys.map((key) => flat[key]);
    if (s.rate) {
      const before = readingBefore(graph.item.id, record.t);
      if (!before) return false;
      const previous = flatten(before[1]) || {};
      values = s.keys.map((key) => (previous[key] !== undefined && flat[key] !== undefined ? rateBetween([before[0], previous[key]], [record.t, flat[key]]) : undefined));
    }
    appendPoint(s.columns, record.t, withBands(values, s.bands), s.limit);
    return true;
  }

  /** A record pushed over /ws: its values go straight onto the graphs; only a graph they do not fit asks for its series again. */
  function onRecord(msg) {
    const t = msg.unixTimestamp;
    const items = msg.items || {};
    detail.device.lastSeen = msg.timestamp || new Date().toISOString();
    detail.device.status = "UP";
    if (typeof t !== "number") return reloadDetail();
    const record = { n: ++received, t, items };
    // The window slides to the new record: graphs that load later ask for it too.
    const to = Math.max(Math.ceil(Date.now() / 1000), t);
    seriesWindow = { from: to - RANGES[range], to };
    let stale = false;
    for (const graph of graphs.values()) {
      if (!(graph.item.id in items) || !graph.series || graph.loaded !== seriesGeneration) continue;
      if (append(graph, record)) draw(graph);
      else {
        graph.loaded = 0;
        stale = true;
      }
    }
    recent.push(record);
    if (recent.length > RECENT_RECORDS) recent.shift();
    // The device's latest values at once, as GET /api/devices/<id> will answer (a late record leaves
    // them); the reload brings the rest of the server's view: hostname, address, a new item's card.
    const byId = new Map((detail.items || []).map((item) => [item.id, item]));
    for (const [itemId, value] of Object.entries(items)) {
      const item = byId.get(itemId);
      if (!item || (latestAt.get(itemId) ?? -Infinity) > t) continue;
      item.latest = value;
      latestAt.set(itemId, t);
    }
    render();
    reloadDetail();
    if (stale) loadVisible();
  }

  function onEvent(msg) {
    if (msg.deviceId !== id || !detail) return;
    if (msg.type === "device.log") onRecord(msg);
    else reloadDetail();
    if (msg.type === "alert") reloadAlertHistory();
  }

  load();
  return {
    onEvent,
    refresh: load,
    destroy() {
      destroyed = true;
      period.destroy();
      reloadDetail.cancel();
      reloadAlertHistory.cancel();
      viewport.disconnect();
      for (const graph of graphs.values()) destroyGraph(graph);
    },
  };
}
