// The Alerts page (#/alerts): the alerts firing (and pending) now, then the history of resolved
// ones page by page, then the rules and their editor. Kept current by /ws `alert` events.
import { api, deviceHash } from "./api.js";
import { coalesce } from "./coalesce.js";
import { errorBox, h, since } from "./dom.js";
import { createRuleEditor } from "./rules.js";

const HISTORY_PAGE = 50;

/** A severity or state as a small coloured label. */
export const tag = (kind, value) => h("span", { class: `tag ${kind}-${value}`, dataset: { [kind]: value } }, value);

/** A table of alerts; `withDevice` adds the device column (not on a device's own page). */
export function alertTable(alerts, withDevice = true) {
  const heads = ["Severity", "State", ...(withDevice ? ["Device"] : []), "Rule", "What", "Since", "Resolved"];
  return h(
    "table",
    { class: "fleet alerts-table" },
    h("thead", {}, h("tr", {}, heads.map((name) => h("th", { scope: "col" }, name)))),
    h(
      "tbody",
      {},
      alerts.map((a) =>
        h(
          "tr",
          { class: `alert-row state-${a.state}`, dataset: { alert: String(a.id), rule: a.rule, state: a.state, device: a.deviceId } },
          h("td", {}, tag("severity", a.severity)),
          h("td", {}, tag("state", a.state)),
          withDevice ? h("td", {}, h("a", { href: deviceHash(a.deviceId) }, a.deviceId)) : null,
          h("td", { class: "rule-name" }, a.ruleName),
          h("td", { class: "alert-message" }, a.message),
          h("td", {}, since(a.since)),
          h("td", {}, a.resolvedAt ? since(a.resolvedAt) : h("span", { class: "muted" }, "—")),
        ),
      ),
    ),
  );
}

export function alertsView(root) {
  let destroyed = false;
  const openBox = h("div", { class: "table-card", id: "alerts-open" });
  const historyBox = h("div", { class: "table-card", id: "alerts-history" });
  const more = h("button", { type: "button", class: "btn", id: "history-more", hidden: true, onclick: () => loadHistory(true) }, "Older alerts");
  const rules = createRuleEditor();
  root.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, "Alerts")),
    h("h2", {}, "Firing and pending"),
    openBox,
    h("h2", { class: "section-head" }, "History"),
    historyBox,
    h("div", { class: "toolbar" }, more),
    h("h2", { class: "section-head" }, "Rules"),
    rules.el,
  );

  let history = [];
  let historyCursor = null;

  async function loadOpen() {
    try {
      const { alerts } = await api("/api/alerts?state=open&limit=500");
      if (destroyed) return;
      // Firing before pending, the newest first within each.
      alerts.sort((a, b) => (a.state === b.state ? b.id - a.id : a.state === "firing" ? -1 : 1));
      openBox.replaceChildren(alerts.length ? alertTable(alerts) : h("p", { class: "empty-line" }, "Nothing is firing."));
    } catch (err) {
      if (!destroyed) openBox.replaceChildren(errorBox(err));
    }
  }

  async function loadHistory(older = false) {
    try {
      const cursor = older && historyCursor ? `&cursor=${historyCursor}` : "";
      const page = await api(`/api/alerts?state=resolved&limit=${HISTORY_PAGE}${cursor}`);
      if (destroyed) return;
      history = older ? [...history, ...page.alerts] : page.alerts;
      historyCursor = page.nextCursor;
      more.hidden = !historyCursor;
      historyBox.replaceChildren(history.length ? alertTable(history) : h("p", { class: "empty-line" }, "No alert has resolved yet."));
    } catch (err) {
      if (!destroyed) historyBox.replaceChildren(errorBox(err));
    }
  }

  const load = () => Promise.all([loadOpen(), loadHistory(), rules.load()]);
  const reload = coalesce(() => Promise.all([loadOpen(), loadHistory()]), 300);
  load();

  return {
    onEvent(msg) {
      if (msg.type === "alert") reload();
    },
    refresh: load,
    destroy() {
      destroyed = true;
      reload.cancel();
    },
  };
}
