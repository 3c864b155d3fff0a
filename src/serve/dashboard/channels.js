// The Channels page (#/channels): where alerts go. Everyone who reads sees the channels (their URLs
// with secrets as ***); an admin adds, deletes and sends a test message, whose outcome is shown in
// the row as the server reported it.
import { api } from "./api.js";
import { errorBox, h } from "./dom.js";
import { isAdmin } from "./session.js";

const _routing = (c) => {
  const parts = [];
  if (c.rules.length) parts.push(`rules: ${c.rules.join(", ")}`);
  const labels = Object.entries(c.labels);
  if (labels.length) parts.push(`labels: ${labels.map(([k, v]) => `${k}=${v}`).join(", ")}`);
  return parts.length ? parts.join("; ") : "every alert";
};

const _quiet = (q) => (q ? `${q.from}–${q.to} ${q.timeZone}` : "—");

export function channelsView(root) {
  const list = h("div", { class: "table-card" });
  const form = isAdmin() ? addForm() : h("p", { class: "hint" }, "Log in as admin to add, test or delete channels.");
  root.replaceChildren(h("div", { class: "page-head" }, h("h1", {}, "Channels")), form, list);

  async function load() {
    try {
      const { channels } = await api("/api/channels");
      render(channels);
    } catch (err) {
      list.replaceChildren(errorBox(err));
    }
  }

  function render(channels) {
    if (!channels.length) {
      list.replaceChildren(h("p", { class: "notice" }, "No channels: alerts reach no one. Add one (e.g. ntfy://ntfy.sh/your-topic) or start serve with --channel URL."));
      return;
    }
    const rows = channels.map((c) => {
      const result = h("span", { class: "hint", dataset: { testResult: String(c.id) } });
      const actions = isAdmin()
        ? [
            h("button", { class: "btn", type: "button", dataset: { test: String(c.id) }, onclick: () => sendTest(c, result) }, "Send test"),
            c.source === "api" ? h("button", { class: "btn", type: "button", dataset: { delete: String(c.id) }, onclick: () => remove(c, result) }, "Delete") : h("span", { class: "hint" }, c.source === "flag" ? "from --channel" : "from the config"),
          ]
        : [];
      return h(
        "tr",
        { dataset: { channel: String(c.id) } },
        h("td", {}, String(c.id)),
        h("td", {}, c.kind),
        h("td", {}, h("code", {}, c.url), c.name ? h("div", { class: "hint" }, c.name) : null),
        h("td", {}, _routing(c)),
        h("td", {}, _quiet(c.quietHours)),
        h("td", {}, c.resendIntervalSeconds ? `every ${Math.round(c.resendIntervalSeconds / 60)} min` : "—"),
        h("td", {}, actions, " ", result),
      );
    });
    list.replaceChildren(
      h(
        "div",
        { class: "table-scroll" },
        h("table", { class: "fleet channels" }, h("thead", {}, h("tr", {}, ["#", "Kind", "URL", "Receives", "Quiet hours", "Resend", ""].map((t) => h("th", {}, t)))), h("tbody", {}, rows)),
      ),
    );
  }

  async function sendTest(channel, result) {
    result.className = "hint";
    result.textContent = "sending…";
    try {
      const outcome = await api(`/api/channels/${channel.id}/test`, { method: "POST" });
      result.className = outcome.ok ? "saved" : "hint error";
      result.textContent = outcome.ok ? `sent (${outcome.detail})` : `failed: ${outcome.detail}`;
    } catch (err) {
      result.className = "hint error";
      result.textContent = `failed: ${err.message}`;
    }
  }

  async function remove(channel, result) {
    try {
      await api(`/api/channels/${channel.id}`, { method: "DELETE" });
      load();
    } catch (err) {
      result.className = "hint error";
      result.textContent = err.message;
    }
  }

  function addForm() {
    const url = h("input", { name: "url", type: "text", placeholder: "ntfy://ntfy.sh/topic, smtp://user:pass@host:587/?from=…&to=…", autocomplete: "off", size: "60" });
    const name = h("input", { name: "name", type: "text", placeholder: "name (optional)" });
    const message = h("span", { class: "hint" });
    const submit = async (event) => {
      event.preventDefault();
      message.className = "hint";
      message.textContent = "";
      try {
        const body = { url: url.value.trim() };
        if (name.value.trim()) body.name = name.value.trim();
        await api("/api/channels", { method: "POST", body: JSON.stringify(body) });
        url.value = "";
        name.value = "";
        message.className = "saved";
        message.textContent = "added";
        load();
      } catch (err) {
        message.className = "hint error";
        message.textContent = err.message;
      }
    };
    return h("form", { class: "period-form channel-form", onsubmit: submit }, url, name, h("button", { class: "btn", type: "submit" }, "Add channel"), message);
  }

  load();
  return { destroy() {}, onEvent() {}, refresh: load };
}
