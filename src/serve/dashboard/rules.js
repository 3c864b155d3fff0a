// The rule editor of the Alerts page: the rules, and for an admin login a form to add one and
// Edit / Delete on each rule the API lets change. The server checks every expression: its one-line
// error is shown under the field, and what was typed stays there to fix.
import { api } from "./api.js";
import { errorBox, h } from "./dom.js";
import { LOGIN_HINT, isAdmin } from "./session.js";

const EXAMPLE = "cpu > 80 for 10m severity critical where labels.zone = zone-1";

export function createRuleEditor() {
  const el = h("section", { class: "rules" });
  let rules = null;
  let max = 0;
  let loadError = null;
  let editing = null; // the id of the rule whose row is a form
  let confirming = null; // the id of the rule whose Delete asks again
  const addForm = { expr: "", name: "", error: "" };
  const editForm = { expr: "", name: "", error: "" };

  async function load() {
    try {
      const answer = await api("/api/rules");
      rules = answer.rules;
      max = answer.max;
      loadError = null;
    } catch (err) {
      loadError = err;
    }
    render();
  }

  async function add(ev) {
    ev.preventDefault();
    const body = { expr: addForm.expr };
    if (addForm.name.trim()) body.name = addForm.name.trim();
    try {
      await api("/api/rules", { method: "POST", body: JSON.stringify(body) });
      addForm.expr = addForm.name = addForm.error = "";
    } catch (err) {
      addForm.error = err.message;
    }
    await load();
  }

  async function save(id) {
    try {
      await api(`/api/rules/${encodeURIComponent(id)}`, { method: "PATCH", body: JSON.stringify({ expr: editForm.expr, name: editForm.name.trim() || undefined }) });
      editing = null;
    } catch (err) {
      editForm.error = err.message;
    }
    await load();
  }

  async function remove(id) {
    confirming = null;
    try {
      await api(`/api/rules/${encodeURIComponent(id)}`, { method: "DELETE" });
    } catch (err) {
      addForm.error = err.message;
    }
    await load();
  }

  /** A text field bound to `state[key]`; typing never re-renders (the focus stays). */
  const field = (state, key, attrs) => h("input", { type: "text", autocomplete: "off", spellcheck: "false", value: state[key], oninput: (ev) => (state[key] = ev.target.value), ...attrs });

  function addBox() {
    if (!isAdmin()) return h("p", { class: "hint", id: "rules-locked" }, `Adding and changing rules needs an admin login: ${LOGIN_HINT}.`);
    const full = rules && rules.length >= max;
    return h(
      "form",
      { class: "rule-form", id: "rule-add", onsubmit: add },
      field(addForm, "expr", { id: "rule-expr", name: "expr", placeholder: EXAMPLE, "aria-label": "Rule expression", "aria-describedby": "rule-add-hint", class: "rule-expr" }),
      field(addForm, "name", { id: "rule-name", name: "name", placeholder: "name (optional)", "aria-label": "Rule name", class: "rule-name-input" }),
      h("button", { type: "submit", class: "btn primary", id: "rule-add-button", disabled: full }, "Add rule"),
      h(
        "span",
        { class: addForm.error ? "hint error" : "hint", id: "rule-add-hint", role: addForm.error ? "alert" : null },
        addForm.error || (full ? `${max} rules, the most there can be` : "ITEM[.KEY] OP NUMBER or down, then for DURATION, severity info|warning|critical, where device = ID | labels.NAME = VALUE"),
      ),
    );
  }

  function row(rule) {
    const admin = isAdmin();
    if (editing === rule.id) {
      return h(
        "tr",
        { dataset: { rule: rule.id }, class: "editing" },
        h(
          "td",
          { colspan: "5" },
          h(
            "form",
            { class: "rule-form", onsubmit: (ev) => (ev.preventDefault(), save(rule.id)), onkeydown: (ev) => ev.key === "Escape" && ((editing = null), render()) },
            field(editForm, "expr", { name: "expr", class: "rule-expr", "aria-label": `Expression of ${rule.name}` }),
            field(editForm, "name", { name: "name", class: "rule-name-input", "aria-label": `Name of ${rule.name}` }),
            h("button", { type: "submit", class: "btn small primary" }, "Save"),
            h("button", { type: "button", class: "btn small", onclick: () => ((editing = null), render()) }, "Cancel"),
            h("span", { class: editForm.error ? "hint error" : "hint", role: editForm.error ? "alert" : null }, editForm.error),
          ),
        ),
      );
    }
    const actions = [];
    if (admin && rule.editable) {
      actions.push(
        h("button", { type: "button", class: "btn small", onclick: () => ((editing = rule.id), (confirming = null), Object.assign(editForm, { expr: rule.expr, name: rule.name, error: "" }), render()) }, "Edit"),
        confirming === rule.id
          ? h("button", { type: "button", class: "btn small danger", onclick: () => remove(rule.id) }, "Delete for good")
          : h("button", { type: "button", class: "btn small", onclick: () => ((confirming = rule.id), render()) }, "Delete"),
      );
    } else if (!rule.editable) actions.push(h("span", { class: "muted", title: "set again at every start: change it where it comes from" }, rule.source === "config" ? "config file" : "serve --rule"));
    return h(
      "tr",
      { dataset: { rule: rule.id } },
      h("td", { class: "rule-name" }, rule.name),
      h("td", {}, h("code", { class: "rule-text" }, rule.expr)),
      h("td", {}, h("span", { class: `tag severity-${rule.severity}` }, rule.severity)),
      h("td", { class: "muted" }, rule.source),
      h("td", { class: "actions" }, actions),
    );
  }

  function render() {
    if (loadError && !rules) return el.replaceChildren(errorBox(loadError));
    if (!rules) return;
    const table = h(
      "table",
      { class: "fleet rules-table" },
      h("thead", {}, h("tr", {}, ["Name", "Rule", "Severity", "From", ""].map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, rules.map(row)),
    );
    el.replaceChildren(addBox(), h("div", { class: "table-card" }, table));
    if (editing) el.querySelector(".editing .rule-expr")?.focus();
  }

  return { el, load };
}
