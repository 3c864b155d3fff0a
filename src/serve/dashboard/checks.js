// The Checks page (#/checks): heartbeat checks and when each last heard its job. An admin creates
// one (the answer shows its ping URLs once: the token is their secret) and deletes them.
import { api } from "./api.js";
import { errorBox, h, since } from "./dom.js";
import { isAdmin } from "./session.js";

export function checksView(root) {
  const list = h("div", { class: "table-card" });
  const created = h("div", { class: "created-check" });
  const form = isAdmin() ? addForm() : h("p", { class: "hint" }, "Log in as admin to add or delete checks.");
  root.replaceChildren(h("div", { class: "page-head" }, h("h1", {}, "Checks")), form, created, list);

  async function load() {
    try {
      const { checks } = await api("/api/checks");
      render(checks);
    } catch (err) {
      list.replaceChildren(errorBox(err));
    }
  }

  function render(checks) {
    if (!checks.length) {
      list.replaceChildren(h("p", { class: "notice" }, "No checks yet. A check expects a ping from a job (bagtower ping TOKEN in its crontab line) and alerts when one is missed."));
      return;
    }
    const rows = checks.map((c) =>
      h(
        "tr",
        { dataset: { check: String(c.id), status: c.status } },
        h("td", {}, c.name),
        h("td", {}, c.cron ? h("code", {}, c.cron) : `every ${c.periodSeconds} s`),
        h("td", {}, `${c.graceSeconds} s`),
        h("td", {}, h("span", { class: `badge ${c.status === "down" ? "down" : "up"}` }, c.status.toUpperCase())),
        h("td", {}, c.lastPingAt ? since(c.lastPingAt * 1000) : h("span", { class: "muted" }, "never"), c.lastMessage ? h("div", { class: "hint" }, c.lastMessage) : null),
        h("td", {}, isAdmin() ? h("button", { class: "btn", type: "button", onclick: () => remove(c) }, "Delete") : null),
      ),
    );
    list.replaceChildren(h("div", { class: "table-scroll" }, h("table", { class: "fleet checks" }, h("thead", {}, h("tr", {}, ["Name", "Schedule", "Grace", "Status", "Last ping", ""].map((t) => h("th", {}, t)))), h("tbody", {}, rows))));
  }

  async function remove(check) {
    try {
      await api(`/api/checks/${check.id}`, { method: "DELETE" });
      load();
    } catch (err) {
      created.replaceChildren(h("p", { class: "hint error" }, err.message));
    }
  }

  function addForm() {
    const name = h("input", { name: "name", type: "text", placeholder: "name, e.g. nightly-backup" });
    const schedule = h("input", { name: "schedule", type: "text", placeholder: "3600 (seconds) or 0 3 * * * (cron)" });
    const grace = h("input", { name: "grace", type: "text", placeholder: "grace s (300)" });
    const message = h("span", { class: "hint" });
    const submit = async (event) => {
      event.preventDefault();
      message.className = "hint";
      message.textContent = "";
      const text = schedule.value.trim();
      const body = { name: name.value.trim(), ...(/^\d+$/.test(text) ? { periodSeconds: Number(text) } : { cron: text }) };
      if (grace.value.trim()) body.graceSeconds = Number(grace.value.trim());
      try {
        const check = await api("/api/checks", { method: "POST", body: JSON.stringify(body) });
        created.replaceChildren(
          h("div", { class: "notice" }, h("strong", {}, `${check.name}: `), "ping it with ", h("code", {}, `bagtower ping ${check.token}`), " or ", h("code", {}, `curl -fsS ${check.pingUrl}`), " (shown once: the token is the secret)."),
        );
        name.value = "";
        schedule.value = "";
        grace.value = "";
        load();
      } catch (err) {
        message.className = "hint error";
        message.textContent = err.message;
      }
    };
    return h("form", { class: "period-form check-form", onsubmit: submit }, name, schedule, grace, h("button", { class: "btn", type: "submit" }, "Add check"), message);
  }

  load();
  return { destroy() {}, onEvent() {}, refresh: load };
}
