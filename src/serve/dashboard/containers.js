// The containers table of a device page, from the `containers` item's latest value: flat keys
// `<name>.cpu_percent`, `<name>.memory_bytes`, `<name>.memory_max_bytes` (a name may hold dots, the
// figure's name never does).
import { h } from "./dom.js";
import { formatBytes, round } from "./format.js";

/** { name: { cpu_percent, memory_bytes, memory_max_bytes } }, names in the value's order. */
export function containerRows(value) {
  const rows = new Map();
  if (!value || typeof value !== "object") return rows;
  for (const [key, figure] of Object.entries(value)) {
    const dot = key.lastIndexOf(".");
    if (dot <= 0 || typeof figure !== "number") continue;
    const name = key.slice(0, dot);
    if (!rows.has(name)) rows.set(name, {});
    rows.get(name)[key.slice(dot + 1)] = figure;
  }
  return rows;
}

const _muted = () => h("span", { class: "muted" }, "—");

export function containersTable(value) {
  const rows = [...containerRows(value)];
  if (!rows.length) return h("p", { class: "string-value" }, "—");
  return h(
    "table",
    { class: "containers" },
    h("thead", {}, h("tr", {}, ["Container", "CPU", "Memory", "Limit"].map((t, i) => h("th", { scope: "col", class: i ? "num" : null }, t)))),
    h(
      "tbody",
      {},
      rows.map(([name, r]) =>
        h(
          "tr",
          { dataset: { container: name } },
          h("th", { scope: "row" }, name),
          h("td", { class: "num" }, typeof r.cpu_percent === "number" ? `${round(r.cpu_percent, 1)} %` : _muted()),
          h("td", { class: "num" }, typeof r.memory_bytes === "number" ? formatBytes(r.memory_bytes) : _muted()),
          h("td", { class: "num" }, typeof r.memory_max_bytes === "number" ? formatBytes(r.memory_max_bytes) : "none"),
        ),
      ),
    ),
  );
}
