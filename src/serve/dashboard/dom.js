// Building the page: elements from plain values, and the small pieces both pages show. Text always
// goes in as text (a Text node or textContent), never as HTML; styles through the CSSOM, since the
// page's Content-Security-Policy refuses style attributes.
import { ApiError } from "./api.js";
import { absTime, relTime, round } from "./format.js";
import { LOGIN_HINT } from "./session.js";

/** Builds an element: attributes, `on…` listeners, `dataset`, and children (nodes or text). */
export function h(tag, attrs, ...children) {
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

export function errorBox(err) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    return h("div", { class: "notice error" }, h("strong", {}, "This dashboard needs a login. "), `To log in, ${LOGIN_HINT}.`);
  }
  return h("div", { class: "notice error" }, h("strong", {}, "Could not load: "), err.message);
}

/** A relative time that `tick` keeps current. */
export function since(time) {
  return h("time", { dataset: { since: String(time ?? "") }, datetime: typeof time === "string" ? time : null, title: absTime(time) }, relTime(time));
}

/** Brings every relative time on the page up to date (run each second). */
export function tick() {
  for (const el of document.querySelectorAll("[data-since]")) {
    const text = relTime(/^\d+$/.test(el.dataset.since) ? Number(el.dataset.since) : el.dataset.since);
    if (el.textContent !== text) el.textContent = text;
  }
}

export function statusBadge(status) {
  const up = status === "UP";
  return h("span", { class: `badge ${up ? "up" : "down"}`, dataset: { status } }, status || "?");
}

export function labelChips(labels) {
  const entries = Object.entries(labels || {});
  if (!entries.length) return h("span", { class: "muted" }, "—");
  return h("span", { class: "chips" }, entries.map(([k, v]) => h("span", { class: "chip" }, v === "" ? k : `${k}=${v}`)));
}

export function percentCell(col, value) {
  if (typeof value !== "number") return h("td", { class: "num", dataset: { col } }, h("span", { class: "muted" }, "—"));
  const level = value >= 90 ? "crit" : value >= 75 ? "warn" : "ok";
  return h("td", { class: "num", dataset: { col } }, h("span", { class: "value" }, `${round(value, 1)} %`), h("span", { class: `meter ${level}` }, meterBar(value)));
}

function meterBar(value) {
  const bar = h("span");
  bar.style.width = `${Math.min(100, Math.max(0, value))}%`;
  return bar;
}

/** The list of active alerts (the fleet's, a device's); `link` makes the first part of each (its device). */
export function alertList(alerts, link) {
  return h(
    "ul",
    { class: "alert-list" },
    alerts.map((a) =>
      h(
        "li",
        { class: "alert-item", dataset: { rule: a.rule, severity: a.severity || "" } },
        link ? link(a) : null,
        h("span", { class: "alert-rule" }, a.rule),
        h("span", { class: "alert-message" }, a.message),
        h("span", { class: "muted" }, "since ", since(a.since)),
      ),
    ),
  );
}
