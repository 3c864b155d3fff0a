// Device faults the fleet page flags, from the summary GET /api/devices gives each device
// (serve/device-health.ts computes it): a failing power supply and storage near the end of its life.
import { h } from "./dom.js";
import { round } from "./format.js";

/** Percent of storage life used from which a device is flagged (the default alert rule's threshold). */
export const STORAGE_WEAR_FLAG = 90;

/** The flags of one device's `latest` summary: [{ kind, text, title }]. */
export function healthFlags(latest) {
  const flags = [];
  if (latest && latest.under_voltage > 0) {
    flags.push({ kind: "power", text: "Power failing", title: "Under-voltage reported (now, since boot or the latched alarm): check the power supply and cable" });
  }
  if (latest && typeof latest.storage_wear === "number" && latest.storage_wear >= STORAGE_WEAR_FLAG) {
    flags.push({ kind: "storage", text: `Storage worn ${round(latest.storage_wear, 0)} %`, title: "Flash storage near the end of its rated life: plan a replacement" });
  }
  return flags;
}

export function healthCell(latest) {
  const flags = healthFlags(latest);
  return h(
    "td",
    { dataset: { col: "health" } },
    flags.length
      ? h("span", { class: "chips" }, flags.map((f) => h("span", { class: `flag ${f.kind}`, title: f.title, dataset: { flag: f.kind } }, f.text)))
      : h("span", { class: "muted" }, "—"),
  );
}
