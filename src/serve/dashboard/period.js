// The device page's push period with its Edit form. The box is built once and never detached, so
// an open form (its text, its focus) survives the live updates that redraw the rest of the header.
import { api, devicePath } from "./api.js";
import { h } from "./dom.js";
import { formatPeriod, parseDuration } from "./duration.js";
import { LOGIN_HINT, isAdmin } from "./session.js";

const MIN_PERIOD_S = 10;

/** `onSaved(device, seconds)` gets the server's view of the device (if it sent one) after a save. */
export function createPeriodEditor(id, onSaved) {
  const el = h("div", { class: "period" });
  let seconds = 0;
  let editing = false;
  let saveError = "";
  let draft = null; // what the user typed, kept when saving it fails
  let savedFlash = false;
  let destroyed = false;

  // The view's nodes are made once and updated in place: a live update that replaced the Edit
  // button would swallow a click that spans it, and take the keyboard's focus with it.
  const valueEl = h("span", { class: "period-value", id: "period-value" });
  const editButton = h("button", { type: "button", class: "btn small", id: "edit-period", onclick: startEdit }, "Edit period");
  const lockedHint = h("span", { class: "hint", id: "period-locked" }, `Changing the period needs an admin login: ${LOGIN_HINT}.`);
  const savedNote = h("span", { class: "saved" }, "Saved");

  function renderView() {
    const admin = isAdmin();
    valueEl.replaceChildren(h("strong", {}, formatPeriod(seconds)), " ", h("span", { class: "muted" }, `(${seconds} s)`));
    editButton.disabled = !admin;
    if (admin) editButton.removeAttribute("aria-describedby");
    else editButton.setAttribute("aria-describedby", "period-locked");
    const wanted = [valueEl, editButton, ...(admin ? [] : [lockedHint]), ...(savedFlash ? [savedNote] : [])];
    const current = [...el.childNodes];
    if (current.length !== wanted.length || wanted.some((node, i) => current[i] !== node)) el.replaceChildren(...wanted);
  }

  function render() {
    if (!editing) return renderView();
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
      h("span", { class: saveError ? "hint error" : "hint", id: "period-hint" }, saveError || `seconds, or 30s, 10m, 1h (at least ${MIN_PERIOD_S} s)`),
    );
    el.replaceChildren(form);
    input.focus();
    input.select();
  }

  function startEdit() {
    editing = true;
    saveError = "";
    draft = null;
    savedFlash = false;
    render();
  }

  function cancelEdit() {
    editing = false;
    saveError = "";
    render();
  }

  async function save(text) {
    draft = text;
    const ms = parseDuration(text);
    if (ms === null) {
      saveError = `"${text}": expected a duration such as 30s, 10m, 1h or 7d`;
      return render();
    }
    const wanted = Math.round(ms / 1000);
    if (wanted < MIN_PERIOD_S) {
      saveError = `the period must be at least ${MIN_PERIOD_S} s`;
      return render();
    }
    try {
      const answer = await api(devicePath(id), { method: "PATCH", body: JSON.stringify({ periodSeconds: wanted }) });
      editing = false;
      saveError = "";
      savedFlash = true;
      seconds = answer && answer.device ? answer.device.periodSeconds : wanted;
      onSaved(answer && answer.device, seconds);
      render();
      setTimeout(() => {
        if (!savedFlash || destroyed) return;
        savedFlash = false;
        if (!editing) render();
      }, 2500);
    } catch (err) {
      saveError = err.message;
      render();
    }
  }

  return {
    el,
    /** The device's period as the server has it: redrawn unless the form is open. */
    show(periodSeconds) {
      seconds = periodSeconds;
      if (!editing) render();
    },
    destroy() {
      destroyed = true;
    },
  };
}
