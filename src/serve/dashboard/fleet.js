// The fleet page (#/): the fleet's totals, its active alerts and one page of devices, kept current
// by /ws events; "Add a device" shows the command that installs one from this receiver.
import { isOlderAgent, bagtowerVersion } from "./agent-version.js";
import { api, deviceHash } from "./api.js";
import { coalesce } from "./coalesce.js";
import { alertList, errorBox, h, labelChips, percentCell, since, statusBadge } from "./dom.js";
import { headline, round } from "./format.js";
import { healthCell, healthFlags } from "./health.js";
import { installBox, openInstallDialog } from "./install.js";
import { createPager } from "./pager.js";

/** Devices per page (the API's default is 500; a table of 100 rows stays quick to render). */
const FLEET_PAGE = 100;
const FLEET_ALERTS_SHOWN = 20;
/** The latest values the table shows; a pushed record's values replace them at once. */
const COLUMNS = ["cpu", "memory", "diskusage", "temperature"];

export function fleetView(root) {
  let devices = null;
  let fleet = null; // totals over every page: { total_nodes, up_nodes }
  let alerts = [];
  let install = null; // GET /api/install: the command's parts and the receiver's version
  let error = null;
  const summary = h("section", { class: "summary", "aria-label": "Fleet summary" });
  const alertsBox = h("section", { class: "fleet-alerts" });
  const body = h("div", { class: "table-card" });
  const pager = createPager(FLEET_PAGE, () => {
    devices = null;
    load();
  });
  const addButton = h("button", { type: "button", class: "btn primary", disabled: true, dataset: { action: "add-device" }, onclick: () => install && openInstallDialog(install) }, "Add a device");
  root.replaceChildren(h("div", { class: "page-head head-row" }, h("h1", {}, "Fleet"), addButton), summary, alertsBox, body, pager.el);

  let nextCursor = null;
  async function load() {
    try {
      const [list, resources, active, info] = await Promise.all([
        api(`/api/devices?limit=${FLEET_PAGE}&cursor=${encodeURIComponent(pager.cursor())}`),
        api("/api/monitoring/resources?limit=1"),
        api("/api/alerts"),
        // Without it the page still shows the fleet; only the command is missing.
        install ? install : api("/api/install").catch(() => null),
      ]);
      install = info;
      addButton.disabled = !install;
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
  const reload = coalesce(load, 500);

  function render() {
    if (error && !devices) {
      summary.replaceChildren();
      alertsBox.replaceChildren();
      body.replaceChildren(errorBox(error));
      return;
    }
    if (!devices) return;
    pager.render(nextCursor, devices.length, fleet ? fleet.total_nodes : undefined);
    const total = fleet ? fleet.total_nodes : devices.length;
    const up = fleet ? fleet.up_nodes : devices.filter((d) => d.status === "UP").length;
    // Counted on this page: the flags come with each listed device.
    const flagged = devices.filter((d) => healthFlags(d.latest).length > 0).length;
    summary.replaceChildren(
      stat("Devices", total, "total"),
      stat("Up", up, "up"),
      stat("Down", total - up, total - up ? "down" : "zero"),
      stat("Active alerts", alerts.length, alerts.length ? "alerts" : "zero"),
      ...(flagged ? [stat("Health flags", flagged, "alerts")] : []),
    );
    // A fleet-wide outage raises one alert per device: the first few are listed, the count says the rest.
    const listed = alerts.slice(0, FLEET_ALERTS_SHOWN);
    alertsBox.replaceChildren(
      ...(alerts.length
        ? [
            alertList(listed, (a) => h("a", { href: deviceHash(a.deviceId) }, a.deviceId)),
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
          ...(install
            ? [h("p", {}, "Run this on a device to install the agent; its first record will show up here:"), installBox(install)]
            : [h("p", {}, "Point an agent at this server and its first record will show up here:"), h("pre", {}, `bagtower push --server ${location.origin} --api-key KEY --device-id my-device`)]),
        ),
      );
      return;
    }
    const sorted = [...devices].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    const heads = ["Status", "Device", "Hostname", "Last seen", "CPU", "Memory", "Disk", "Temp", "Health", "Agent", "Labels", "Alerts"];
    body.replaceChildren(
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "fleet" },
          h("thead", {}, h("tr", {}, heads.map((t, i) => h("th", { class: i >= 4 && i <= 7 ? "num" : i === 10 ? "center" : null, scope: "col" }, t)))),
          h("tbody", {}, sorted.map((d) => row(d, install && install.version))),
        ),
      ),
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
      for (const key of COLUMNS) {
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

function stat(label, value, kind) {
  return h("div", { class: `stat ${kind}` }, h("span", { class: "stat-value" }, String(value)), h("span", { class: "stat-label" }, label));
}

/** The agent's version (or its name, for another agent), marked when a bagtower older than this receiver. */
function agentCell(agent, receiver) {
  if (!agent) return h("td", { dataset: { col: "agent" } }, h("span", { class: "muted" }, "—"));
  const older = isOlderAgent(agent, receiver);
  return h(
    "td",
    { dataset: { col: "agent" }, class: older ? "nowrap agent-older" : "nowrap", title: older ? `${agent} is older than this receiver (${receiver}): re-run the install command or bagtower update on the device` : agent },
    bagtowerVersion(agent) || agent,
    older ? h("span", { class: "badge older", dataset: { older: "" } }, "older") : null,
  );
}

function row(d, receiver) {
  const latest = d.latest || {};
  const alertCount = (d.alerts || []).length;
  const open = () => {
    location.hash = deviceHash(d.id);
  };
  return h(
    "tr",
    {
      dataset: { device: d.id },
      class: [d.status === "UP" ? null : "is-down", healthFlags(latest).length ? "is-flagged" : null].filter(Boolean).join(" ") || null,
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
    healthCell(latest),
    agentCell(d.agent, receiver),
    h("td", { dataset: { col: "labels" } }, labelChips(d.labels)),
    h("td", { class: "center", dataset: { col: "alerts" } }, alertCount ? h("span", { class: "count-pill" }, String(alertCount)) : h("span", { class: "muted" }, "0")),
  );
}
