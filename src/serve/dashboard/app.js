// The bagtower dashboard: one page, hash routes (#/ the fleet, #/device/<id> one device), data from
// the read API, live updates from /ws. Plain JavaScript with no build step and nothing fetched from
// elsewhere: the server embeds this file and uPlot, so the dashboard works on an offline network.
"use strict";

(() => {
  const RANGES = { "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 86400, "30d": 30 * 86400 };
  const DEFAULT_RANGE = "24h";
  const GRAPH_HEIGHT = 220;
  /** Devices per fleet page (the API's default is 500; a table of 100 rows stays quick to render). */
  const FLEET_PAGE = 100;
  const FLEET_ALERTS_SHOWN = 20;
  // A new device has minutes of data: the time axis fits the data (at least this span) rather than
  // squeezing it against the right edge of a 24-hour range; the right edge stays at now.
  const MIN_SPAN_S = 60;
  // Items drawn first on a device page; the others follow in the API's order.
  const ITEM_ORDER = ["cpu", "cpu_per_cpu", "memory", "diskusage", "temperature", "load", "network", "wifi"];
  const PALETTE = ["#2563eb", "#e11d48", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#4f46e5", "#0d9488", "#a16207"];

  const app = document.getElementById("app");
  const liveEl = document.getElementById("live");
  let view = null;
  // What this browser may do ({right: "admin" | "read" | null}), asked once at start. The login is
  // an HttpOnly cookie that the server set from the login link: the page never sees a token.
  let session = { right: null };

  // ---- access -------------------------------------------------------------------------------------

  async function loadSession() {
    try {
      session = (await api("/api/session")) || session;
    } catch {
      // The pages' own requests then show what is wrong.
    }
  }

  const LOGIN_HINT = "open the login link that bagtower serve prints at start (bagtower serve key on the server prints a fresh one)";

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, init = {}) {
    const headers = new Headers(init.headers);
    if (init.body !== undefined) headers.set("Content-Type", "application/json");
    let res;
    try {
      res = await fetch(path, { ...init, headers });
    } catch (err) {
      throw new ApiError(0, `the server did not answer (${err.message})`);
    }
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) throw new ApiError(res.status, (body && body.error) || `${res.status} ${res.statusText}`);
    return body;
  }

  const devicePath = (id) => `/api/devices/${encodeURIComponent(id)}`;
  const deviceHash = (id) => `#/device/${encodeURIComponent(id)}`;

  // ---- DOM ----------------------------------------------------------------------------------------

  /** Builds an element; text always goes in as text, never as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child == null || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  function errorBox(err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      return h(
        "div",
        { class: "notice error" },
        h("strong", {}, "This dashboard needs a login. "),
        `To log in, ${LOGIN_HINT}.`,
      );
    }
    return h("div", { class: "notice error" }, h("strong", {}, "Could not load: "), err.message);
  }

  // ---- formatting ---------------------------------------------------------------------------------

  const compactFmt = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
  const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

  const toMs = (time) => (typeof time === "number" ? time * 1000 : Date.parse(time));

  function relTime(time) {
    const ms = toMs(time);
    if (!Number.isFinite(ms)) return "never";
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 1) return "just now";
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return `${Math.floor(s / 86400)} d ago`;
  }

  function absTime(time) {
    const ms = toMs(time);
    return Number.isFinite(ms) ? dateTimeFmt.format(ms) : "";
  }

  /** A relative time that the one-second ticker keeps current. */
  function since(time) {
    return h("time", { dataset: { since: String(time ?? "") }, datetime: typeof time === "string" ? time : null, title: absTime(time) }, relTime(time));
  }

  function tick() {
    for (const el of document.querySelectorAll("[data-since]")) {
      const text = relTime(/^\d+$/.test(el.dataset.since) ? Number(el.dataset.since) : el.dataset.since);
      if (el.textContent !== text) el.textContent = text;
    }
  }

  function round(value, digits) {
    const f = 10 ** digits;
    return Math.round(value * f) / f;
  }

  /** 300 → "5m", 5400 → "1h30m", 45 → "45s". */
  function formatPeriod(seconds) {
    if (!Number.isFinite(seconds) || seconds <= 0) return "—";
    let rest = Math.round(seconds);
    let out = "";
    for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]]) {
      if (rest >= size) {
        out += `${Math.floor(rest / size)}${unit}`;
        rest %= size;
      }
    }
    return out;
  }

  const UNIT_SECONDS = { s: 1, sec: 1, secs: 1, second: 1, seconds: 1, m: 60, min: 60, mins: 60, minute: 60, minutes: 60, h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600, d: 86400, day: 86400, days: 86400 };

  /** "300", "300s", "10m", "1h30m", "1.5h" → seconds; null when the text is not a duration. */
  function parseDuration(text) {
    const input = String(text).trim().toLowerCase();
    if (!input) return null;
    if (/^\d+(\.\d+)?$/.test(input)) return Math.round(Number(input));
    const re = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy;
    let total = 0;
    let match;
    let end = 0;
    while ((match = re.exec(input))) {
      const size = UNIT_SECONDS[match[2]];
      if (!size) return null;
      total += Number(match[1]) * size;
      end = re.lastIndex;
    }
    return end === input.length ? Math.round(total) : null;
  }

  function formatBytes(value) {
    const abs = Math.abs(value);
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let i = 0;
    let v = abs;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${value < 0 ? "-" : ""}${round(v, v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
  }

  function formatSeconds(value) {
    const s = Math.abs(value);
    if (s < 120) return `${round(value, 1)} s`;
    if (s < 7200) return `${round(value / 60, 1)} min`;
    if (s < 172800) return `${round(value / 3600, 1)} h`;
    return `${round(value / 86400, 1)} d`;
  }

  function formatCompact(value) {
    return Math.abs(value) < 1000 ? String(round(value, Math.abs(value) < 10 ? 2 : 1)) : compactFmt.format(value);
  }

  /** How to print one value of an item of this type (`rate`: a per-second rate of a counter). */
  function valueFormatter(type, rate, key) {
    const perSecond = rate ? "/s" : "";
    // An object item mixes units at times (wifi: rssi_dbm and signal_quality_percent): the key wins.
    if (/bytes/.test(key || "") && (type === "counter" || type === "bytes")) return (v) => formatBytes(v) + perSecond;
    if (/percent/.test(key || "") && !rate) return (v) => `${round(v, 1)} %`;
    if (/dbm/.test(key || "") && !rate) return (v) => `${round(v, 0)} dBm`;
    switch (type) {
      case "percent":
        return (v) => `${round(v, 1)} %`;
      case "celsius":
        return (v) => `${round(v, 1)} °C`;
      case "bytes":
        return (v) => formatBytes(v) + perSecond;
      case "seconds":
        return formatSeconds;
      case "dbm":
        return (v) => `${round(v, 0)} dBm`;
      case "mhz":
        return (v) => `${round(v, 0)} MHz`;
      default:
        return (v) => formatCompact(v) + perSecond;
    }
  }

  /** The shorter tick labels of a graph's y axis. */
  function axisFormatter(type, rate) {
    switch (type) {
      case "percent":
        return (v) => `${round(v, 1)}%`;
      case "celsius":
        return (v) => `${round(v, 1)}°`;
      case "bytes":
        return (v) => formatBytes(v) + (rate ? "/s" : "");
      case "seconds":
        return formatSeconds;
      default:
        return (v) => formatCompact(v);
    }
  }

  const UNIT_LABEL = { percent: "%", celsius: "°C", bytes: "bytes", seconds: "seconds", dbm: "dBm", mhz: "MHz", count: "count", number: "", counter: "per second" };

  /** The value the fleet shows for a latest reading: objects (temperature zones) show their maximum. */
  function headline(value) {
    if (typeof value === "number") return value;
    if (value && typeof value === "object") {
      const numbers = Object.values(value).filter((v) => typeof v === "number");
      if (numbers.length) return Math.max(...numbers);
    }
    return undefined;
  }

  // ---- shared bits --------------------------------------------------------------------------------

  function statusBadge(status) {
    const up = status === "UP";
    return h("span", { class: `badge ${up ? "up" : "down"}`, dataset: { status } }, status || "?");
  }

  function labelChips(labels) {
    const entries = Object.entries(labels || {});
    if (!entries.length) return h("span", { class: "muted" }, "—");
    return h("span", { class: "chips" }, entries.map(([k, v]) => h("span", { class: "chip" }, v === "" ? k : `${k}=${v}`)));
  }

  function percentCell(col, value) {
    if (typeof value !== "number") return h("td", { class: "num", dataset: { col } }, h("span", { class: "muted" }, "—"));
    const level = value >= 90 ? "crit" : value >= 75 ? "warn" : "ok";
    return h(
      "td",
      { class: "num", dataset: { col } },
      h("span", { class: "value" }, `${round(value, 1)} %`),
      h("span", { class: `meter ${level}` }, meterBar(value)),
    );
  }

  /** The bar's width through the CSSOM: the page's Content-Security-Policy refuses style attributes. */
  function meterBar(value) {
    const bar = h("span");
    bar.style.width = `${Math.min(100, Math.max(0, value))}%`;
    return bar;
  }

  /**
   * Runs `fn` once, `ms` after the first of a burst of calls. Not a debounce: a busy fleet sends
   * events more often than `ms`, and a debounce would then never run.
   */
  function coalesce(fn, ms) {
    let timer = 0;
    const schedule = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = 0;
        fn();
      }, ms);
    };
    schedule.cancel = () => {
      clearTimeout(timer);
      timer = 0;
    };
    return schedule;
  }

  // ---- fleet page ---------------------------------------------------------------------------------

  function fleetView(root) {
    let devices = null;
    let fleet = null; // totals over every page: { total_nodes, up_nodes }
    let alerts = [];
    let error = null;
    // The fleet API pages by cursor: cursors[i] opens page i; nextCursor says whether there is another.
    const cursors = [""];
    let page = 0;
    let nextCursor = null;
    const summary = h("section", { class: "summary", "aria-label": "Fleet summary" });
    const alertsBox = h("section", { class: "fleet-alerts" });
    const body = h("div", { class: "table-card" });
    const pager = h("nav", { class: "pager", "aria-label": "Fleet pages" });
    root.replaceChildren(h("div", { class: "page-head" }, h("h1", {}, "Fleet")), summary, alertsBox, body, pager);

    async function load() {
      try {
        const [list, resources, active] = await Promise.all([
          api(`/api/devices?limit=${FLEET_PAGE}&cursor=${encodeURIComponent(cursors[page])}`),
          api("/api/monitoring/resources?limit=1"),
          api("/api/alerts"),
        ]);
        devices = list.devices || [];
        nextCursor = list.nextCursor || null;
        fleet = resources.summary;
        alerts = active.alerts || [];
        error = null;
      } catch (err) {
        error = err;
      }
      render();
    }

    function go(delta) {
      if (delta > 0) cursors[page + 1] = nextCursor;
      page += delta;
      devices = null;
      load();
    }

    function renderPager() {
      const first = page * FLEET_PAGE + 1;
      const shown = devices ? devices.length : 0;
      pager.hidden = page === 0 && !nextCursor;
      pager.replaceChildren(
        h("button", { type: "button", class: "btn", disabled: page === 0, onclick: () => go(-1) }, "← Previous"),
        h("span", { class: "muted pager-range" }, shown ? `${first}–${first + shown - 1} of ${fleet ? fleet.total_nodes : "?"}` : ""),
        h("button", { type: "button", class: "btn", disabled: !nextCursor, onclick: () => go(1) }, "Next →"),
      );
    }
    const reload = coalesce(load, 500);

    function render() {
      if (error && !devices) {
        summary.replaceChildren();
        alertsBox.replaceChildren();
        body.replaceChildren(errorBox(error));
        return;
      }
      if (!devices) return;
      renderPager();
      const total = fleet ? fleet.total_nodes : devices.length;
      const up = fleet ? fleet.up_nodes : devices.filter((d) => d.status === "UP").length;
      summary.replaceChildren(
        stat("Devices", total, "total"),
        stat("Up", up, "up"),
        stat("Down", total - up, total - up ? "down" : "zero"),
        stat("Active alerts", alerts.length, alerts.length ? "alerts" : "zero"),
      );
      // A fleet-wide outage raises one alert per device: the first few are listed, the count says the rest.
      const listed = alerts.slice(0, FLEET_ALERTS_SHOWN);
      alertsBox.replaceChildren(
        ...(alerts.length
          ? [
              h(
                "ul",
                { class: "alert-list" },
                listed.map((a) =>
                  h(
                    "li",
                    { class: "alert-item", dataset: { rule: a.rule } },
                    h("a", { href: deviceHash(a.deviceId) }, a.deviceId),
                    h("span", { class: "alert-rule" }, a.rule),
                    h("span", { class: "alert-message" }, a.message),
                    h("span", { class: "muted" }, "since ", since(a.since)),
                  ),
                ),
              ),
              ...(alerts.length > listed.length ? [h("p", { class: "muted" }, `and ${alerts.length - listed.length} more`)] : []),
            ]
          : []),
      );
      if (!devices.length) {
        body.replaceChildren(
          h(
            "div",
            { class: "empty" },
            h("h2", {}, "No devices yet"),
            h("p", {}, "Point an agent at this server and its first record will show up here:"),
            h("pre", {}, `bagtower push --server ${location.origin} --api-key KEY --device-id my-device`),
          ),
        );
        return;
      }
      const sorted = [...devices].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
      body.replaceChildren(
        h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            { class: "fleet" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Status", "Device", "Hostname", "Last seen", "CPU", "Memory", "Disk", "Temp", "Labels", "Alerts"].map((t, i) =>
                  h("th", { class: i >= 4 && i <= 7 ? "num" : i === 9 ? "center" : null, scope: "col" }, t),
                ),
              ),
            ),
            h("tbody", {}, sorted.map(row)),
          ),
        ),
      );
    }

    function stat(label, value, kind) {
      return h("div", { class: `stat ${kind}` }, h("span", { class: "stat-value" }, String(value)), h("span", { class: "stat-label" }, label));
    }

    function row(d) {
      const latest = d.latest || {};
      const alertCount = (d.alerts || []).length;
      const open = () => {
        location.hash = deviceHash(d.id);
      };
      return h(
        "tr",
        {
          dataset: { device: d.id },
          class: d.status === "UP" ? null : "is-down",
          tabindex: "0",
          onclick: (ev) => {
            if (!ev.target.closest("a")) open();
          },
          onkeydown: (ev) => {
            if (ev.key === "Enter") open();
          },
        },
        h("td", { dataset: { col: "status" } }, statusBadge(d.status)),
        h("td", { dataset: { col: "id" } }, h("a", { class: "device-link", href: deviceHash(d.id) }, d.id)),
        h("td", { dataset: { col: "hostname" } }, d.hostname || h("span", { class: "muted" }, "—")),
        h("td", { dataset: { col: "lastSeen" }, class: "nowrap" }, since(d.lastSeen)),
        percentCell("cpu", latest.cpu),
        percentCell("memory", latest.memory),
        percentCell("disk", latest.diskusage),
        h("td", { class: "num", dataset: { col: "temperature" } }, typeof latest.temperature === "number" ? `${round(latest.temperature, 1)} °C` : h("span", { class: "muted" }, "—")),
        h("td", { dataset: { col: "labels" } }, labelChips(d.labels)),
        h("td", { class: "center", dataset: { col: "alerts" } }, alertCount ? h("span", { class: "count-pill" }, String(alertCount)) : h("span", { class: "muted" }, "0")),
      );
    }

    function onEvent(msg) {
      if (!devices) return;
      const device = devices.find((d) => d.id === msg.deviceId);
      if (msg.type === "device.log" && device) {
        // Show the new reading at once; the reload below brings the server's view of it.
        device.lastSeen = msg.timestamp || new Date().toISOString();
        device.status = "UP";
        const items = msg.items || {};
        device.latest = { ...device.latest };
        for (const key of ["cpu", "memory", "diskusage", "temperature"]) {
          const value = headline(items[key]);
          if (value !== undefined) device.latest[key] = value;
        }
        render();
      }
      reload();
    }

    load();
    return { onEvent, refresh: load, destroy: () => reload.cancel() };
  }

  // ---- device page --------------------------------------------------------------------------------

  function deviceView(root, id, params) {
    let range = RANGES[params.get("range")] ? params.get("range") : DEFAULT_RANGE;
    let detail = null;
    let editing = false;
    let saveError = "";
    let draft = null; // what the user typed, kept when saving it fails
    let savedFlash = false;
    let seriesGeneration = 0;
    let seriesWindow = null; // the time range of the current generation: { from, to }
    const failed = new Map(); // item id → why its series did not load
    let destroyed = false;
    const graphs = new Map(); // item id → { card, plotEl, plot, keysSig, observer, window, loaded }
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
    const periodBox = h("div", { class: "period" });
    const titleBox = h("div", { class: "device-title" });
    const periodFact = h("div", { class: "period-fact" }, h("dt", {}, "Push period"), h("dd", {}, periodBox));
    const factsList = h("dl", { class: "facts" }, periodFact);
    const head = h("section", { class: "device-head card" }, titleBox, factsList);
    let factNodes = [];
    const rangeBox = h("div", { class: "ranges", role: "group", "aria-label": "Time range" });
    const alertsBox = h("section", { class: "device-alerts" });
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
    );
    renderRanges();

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
      renderHead();
      renderAlerts();
      renderStrings();
      syncGraphs();
      return true;
    }

    async function load() {
      if (await loadDetail()) await loadSeries();
    }
    const reloadDetail = coalesce(loadDetail, 300);
    const reloadAll = coalesce(load, 800);

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
      if (!editing) renderPeriod();
    }

    function renderPeriod() {
      const seconds = detail.device.periodSeconds;
      if (!editing) {
        const admin = session.right === "admin";
        periodBox.replaceChildren(
          h("span", { class: "period-value", id: "period-value" }, h("strong", {}, formatPeriod(seconds)), " ", h("span", { class: "muted" }, `(${seconds} s)`)),
          h("button", { type: "button", class: "btn small", id: "edit-period", onclick: startEdit, disabled: !admin, "aria-describedby": admin ? null : "period-locked" }, "Edit period"),
          ...(admin ? [] : [h("span", { class: "hint", id: "period-locked" }, `Changing the period needs an admin login: ${LOGIN_HINT}.`)]),
          ...(savedFlash ? [h("span", { class: "saved" }, "Saved")] : []),
        );
        return;
      }
      const input = h("input", {
        id: "period-input",
        name: "period",
        type: "text",
        inputmode: "text",
        autocomplete: "off",
        spellcheck: "false",
        value: draft ?? formatPeriod(seconds),
        "aria-label": "Push period: seconds, or with a unit (30s, 10m, 1h)",
        "aria-describedby": "period-hint",
      });
      const form = h(
        "form",
        { class: "period-form", onsubmit: (ev) => (ev.preventDefault(), save(input.value)), onkeydown: (ev) => ev.key === "Escape" && cancelEdit() },
        input,
        h("button", { type: "submit", class: "btn small primary", id: "save-period" }, "Save"),
        h("button", { type: "button", class: "btn small", onclick: cancelEdit }, "Cancel"),
        h("span", { class: saveError ? "hint error" : "hint", id: "period-hint" }, saveError || "seconds, or 30s, 10m, 1h (at least 10 s)"),
      );
      periodBox.replaceChildren(form);
      input.focus();
      input.select();
    }

    function startEdit() {
      editing = true;
      saveError = "";
      draft = null;
      savedFlash = false;
      renderPeriod();
    }

    function cancelEdit() {
      editing = false;
      saveError = "";
      renderPeriod();
    }

    async function save(text) {
      draft = text;
      const seconds = parseDuration(text);
      if (seconds === null) {
        saveError = `"${text}" is not a duration: use seconds (300) or a unit (5m, 1h)`;
        return renderPeriod();
      }
      if (seconds < 10) {
        saveError = "the period must be at least 10 s";
        return renderPeriod();
      }
      try {
        const answer = await api(devicePath(id), { method: "PATCH", body: JSON.stringify({ periodSeconds: seconds }) });
        if (answer && answer.device) detail.device = answer.device;
        else detail.device.periodSeconds = seconds;
        editing = false;
        saveError = "";
        savedFlash = true;
        renderHead();
        setTimeout(() => {
          if (!savedFlash || destroyed) return;
          savedFlash = false;
          if (!editing) renderPeriod();
        }, 2500);
      } catch (err) {
        saveError = err.message;
        renderPeriod();
      }
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
      alertsBox.replaceChildren(
        ...(alerts.length
          ? [
              h(
                "ul",
                { class: "alert-list" },
                alerts.map((a) => h("li", { class: "alert-item", dataset: { rule: a.rule } }, h("span", { class: "alert-rule" }, a.rule), h("span", { class: "alert-message" }, a.message), h("span", { class: "muted" }, "since ", since(a.since)))),
              ),
            ]
          : []),
      );
    }

    function orderedItems(filter) {
      const items = (detail.items || []).filter(filter);
      const rank = (item) => {
        const i = ITEM_ORDER.indexOf(item.id);
        return i === -1 ? ITEM_ORDER.length : i;
      };
      return items.map((item, index) => ({ item, index })).sort((a, b) => rank(a.item) - rank(b.item) || a.index - b.index).map((x) => x.item);
    }

    function renderStrings() {
      const items = orderedItems((item) => item.shape === "string");
      for (const [itemId, card] of stringCards) {
        if (!items.some((item) => item.id === itemId)) {
          card.remove();
          stringCards.delete(itemId);
        }
      }
      for (const item of items) {
        const value = item.latest;
        const rows = value && typeof value === "object" ? Object.entries(value) : null;
        const content = rows
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
          const plotEl = h("div", { class: "plot" });
          const title = h("h3", {}, item.id);
          const unit = h("span", { class: "unit" });
          const latest = h("span", { class: "latest" });
          const card = h("article", { class: "card graph", dataset: { item: item.id } }, h("header", {}, title, unit, latest), plotEl);
          graph = { item, card, plotEl, title, unit, latest, plot: null, keysSig: "", observer: null, window: [0, 0], empty: null, loaded: 0 };
          graphs.set(item.id, graph);
          viewport.observe(card);
        }
        graph.item = item;
        graph.unit.textContent = item.type === "counter" ? "/s" : UNIT_LABEL[item.type] ? UNIT_LABEL[item.type] : item.type;
        graph.unit.title = item.type === "counter" ? "a counter, drawn as its rate per second" : `type ${item.type}`;
        if (item.type === "counter") graph.title.textContent = `${item.id} /s`;
        const value = item.shape === "scalar" && typeof item.latest === "number" ? valueFormatter(item.type, false, "")(item.latest) : "";
        graph.latest.textContent = value;
        graphsBox.append(graph.card);
      }
      graphsBox.classList.toggle("is-empty", items.length === 0);
    }

    /** A new time window (another range, a live update): every graph is stale, the visible ones load now. */
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
      for (const graph of wanted) graph.loaded = generation;
      const results = await Promise.all(
        wanted.map((graph) =>
          api(`${devicePath(id)}/series?item=${encodeURIComponent(graph.item.id)}&from=${from}&to=${to}`).then(
            (series) => ({ graph, series }),
            (error) => ({ graph, error }),
          ),
        ),
      );
      // A newer load (another range, a live update) started meanwhile: its answer wins.
      if (generation !== seriesGeneration || destroyed) return;
      for (const { graph, series, error } of results) {
        if (graphs.get(graph.item.id) !== graph) continue;
        if (error) failed.set(graph.item.id, error.message);
        else drawGraph(graph, series, from, to);
      }
      if (failed.size) status.replaceChildren(h("div", { class: "notice error" }, `Could not load ${[...failed].map(([item, message]) => `${item}: ${message}`).join("; ")}`));
    }

    function drawGraph(graph, series, from, to) {
      const type = series.type || graph.item.type;
      const rate = Boolean(series.rate);
      if (rate) graph.title.textContent = `${graph.item.id} /s`;
      const keys = orderKeys(series.keys && series.keys.length ? series.keys : Object.keys(series.points || {}), graph.item.keys);
      const data = alignSeries(keys, series.points || {}, detail.device.periodSeconds);
      if (data[0].length === 0) {
        destroyGraph(graph);
        graph.plotEl.replaceChildren(h("div", { class: "no-data" }, `No data in the last ${range}`));
        return;
      }
      const first = data[0][0];
      const last = data[0][data[0].length - 1];
      const right = Math.max(to, last);
      const span = Math.max(right - first, MIN_SPAN_S) * 1.04;
      graph.window = [Math.max(from, right - span), right];
      const keysSig = `${type}|${rate}|${keys.join("\u0000")}`;
      if (graph.plot && graph.keysSig === keysSig) {
        graph.plot.setData(data);
        return;
      }
      destroyGraph(graph);
      graph.plotEl.replaceChildren();
      graph.keysSig = keysSig;
      const scalar = keys.length === 1 && keys[0] === "";
      const axisFmt = axisFormatter(type, rate);
      const opts = {
        width: Math.max(200, graph.plotEl.clientWidth),
        height: GRAPH_HEIGHT,
        cursor: { drag: { x: true, y: false }, points: { size: 6 } },
        legend: { show: true, live: true },
        scales: {
          x: { time: true, range: () => graph.window },
          y: { range: (u, min, max) => yRange(type, min, max) },
        },
        series: [
          // Away from the cursor the legend shows the latest values, not a row of dashes.
          { value: (u, ts, si, idx) => (idx == null ? "latest" : ts == null ? "—" : absTime(ts)) },
          ...keys.map((key, i) => {
            const color = PALETTE[i % PALETTE.length];
            const fmt = valueFormatter(type, rate, key);
            return {
              label: scalar ? graph.item.id : key,
              stroke: color,
              width: 1.5,
              fill: scalar ? `${color}14` : undefined,
              points: { size: 4 },
              value: (u, v, si, idx) => {
                const shown = idx == null ? lastValue(u.data[si]) : v;
                return shown == null ? "—" : fmt(shown);
              },
            };
          }),
        ],
        axes: [
          { stroke: "#64748b", values: TIME_TICKS, space: 80, grid: { stroke: "#eef1f5", width: 1 }, ticks: { stroke: "#e2e8f0", width: 1 } },
          { stroke: "#64748b", size: 64, grid: { stroke: "#eef1f5", width: 1 }, ticks: { show: false }, values: (u, splits) => splits.map((v) => (v == null ? "" : axisFmt(v))) },
        ],
      };
      graph.plot = new uPlot(opts, data, graph.plotEl);
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

    function destroyGraph(graph) {
      if (graph.observer) graph.observer.disconnect();
      if (graph.plot) graph.plot.destroy();
      graph.observer = null;
      graph.plot = null;
      graph.keysSig = "";
    }

    function onEvent(msg) {
      if (msg.deviceId !== id || !detail) return;
      if (msg.type === "device.log") {
        detail.device.lastSeen = msg.timestamp || new Date().toISOString();
        detail.device.status = "UP";
        renderHead();
        reloadAll();
      } else {
        reloadDetail();
      }
    }

    load();
    return {
      onEvent,
      refresh: load,
      destroy() {
        destroyed = true;
        reloadDetail.cancel();
        reloadAll.cancel();
        viewport.disconnect();
        for (const graph of graphs.values()) destroyGraph(graph);
      },
    };
  }

  /**
   * Series points → uPlot columns: one shared time axis (the union of every key's times), `undefined`
   * where a key has no point at a time (the line continues), `null` where the device was silent for
   * much longer than its period (the line breaks instead of bridging an outage).
   */
  function alignSeries(keys, points, periodSeconds) {
    const times = new Set();
    const maps = keys.map((key) => {
      const map = new Map();
      for (const [t, v] of points[key] || []) {
        if (typeof t !== "number" || typeof v !== "number") continue;
        map.set(t, v);
        times.add(t);
      }
      return map;
    });
    const xs = [...times].sort((a, b) => a - b);
    const gaps = [];
    const deltas = [];
    for (let i = 1; i < xs.length; i++) deltas.push(xs[i] - xs[i - 1]);
    if (deltas.length) {
      const median = [...deltas].sort((a, b) => a - b)[Math.floor(deltas.length / 2)];
      const limit = Math.max(3 * median, 2.5 * (periodSeconds || 0));
      deltas.forEach((delta, i) => {
        if (delta > limit) gaps.push(i + 1);
      });
    }
    const columns = [[], ...keys.map(() => [])];
    for (let i = 0; i < xs.length; i++) {
      if (gaps.length && gaps[0] === i) {
        gaps.shift();
        columns[0].push(xs[i - 1] + 1);
        for (let k = 0; k < keys.length; k++) columns[k + 1].push(null);
      }
      columns[0].push(xs[i]);
      for (let k = 0; k < keys.length; k++) columns[k + 1].push(maps[k].get(xs[i]));
    }
    return columns;
  }

  /**
   * Curves in the record's order (the item's keys: load 1m, 5m, 15m), then any others; the series
   * answer may list them sorted as text, which puts CPU 10 before CPU 2.
   */
  function orderKeys(keys, itemKeys) {
    const rank = new Map((itemKeys || []).map((key, i) => [key, i]));
    const byText = new Intl.Collator(undefined, { numeric: true });
    return [...keys].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || byText.compare(a, b));
  }

  function lastValue(column) {
    for (let i = (column || []).length - 1; i >= 0; i--) if (column[i] != null) return column[i];
    return null;
  }

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

  // ---- live updates -------------------------------------------------------------------------------

  function setLive(on) {
    liveEl.textContent = on ? "live" : "offline";
    liveEl.classList.toggle("online", on);
    liveEl.classList.toggle("offline", !on);
    liveEl.title = on ? "Receiving live updates" : "Not connected: reconnecting…";
  }

  function connectLive() {
    let attempt = 0;
    let connectedBefore = false;
    const open = () => {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const url = `${proto}//${location.host}/ws`;
      let ws;
      try {
        ws = new WebSocket(url);
      } catch {
        return retry();
      }
      ws.onopen = () => {
        attempt = 0;
        setLive(true);
        // Events sent while disconnected are lost: catch up from the API.
        if (connectedBefore && view) view.refresh();
        connectedBefore = true;
      };
      ws.onmessage = (ev) => {
        let msg;
        try {
          msg = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (msg && typeof msg.type === "string" && view) view.onEvent(msg);
      };
      ws.onclose = () => {
        setLive(false);
        retry();
      };
    };
    const retry = () => {
      // 1 s, 2 s, 4 s … up to 30 s, with jitter so a restarted server is not hit by every tab at once.
      const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);
      attempt = Math.min(attempt + 1, 5);
      setTimeout(open, delay);
    };
    open();
  }

  // ---- routing ------------------------------------------------------------------------------------

  function route() {
    if (view) view.destroy();
    view = null;
    const hash = location.hash.replace(/^#/, "") || "/";
    const [path, query = ""] = hash.split("?");
    const params = new URLSearchParams(query);
    const match = /^\/device\/(.+)$/.exec(path);
    document.getElementById("nav-fleet").classList.toggle("active", !match);
    window.scrollTo(0, 0);
    if (match) {
      let id;
      try {
        id = decodeURIComponent(match[1]);
      } catch {
        id = match[1];
      }
      document.title = `${id} · bagtower`;
      view = deviceView(app, id, params);
    } else {
      document.title = "Fleet · bagtower";
      view = fleetView(app);
    }
  }

  window.addEventListener("hashchange", route);
  setInterval(tick, 1000);
  loadSession().then(() => {
    route();
    connectLive();
  });
})();
