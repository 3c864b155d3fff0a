// Prometheus text exposition format 0.0.4 (SPEC §7; prometheus.io "Exposition formats", Pushgateway README).
import type { BagtowerRecord } from "../record/schema.ts";
import { prometheusSamples } from "./prometheus-series.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** HELP text escapes backslash and line feed. */
function _escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

interface _Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  samples: string[];
  labelSets: Set<string>;
}

function _labelText(labels: [string, string][]): string {
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** The record with the largest unixTimestamp; the later one wins a tie (spool order is oldest first). */
function _newest(records: BagtowerRecord[]): BagtowerRecord | undefined {
  let newest: BagtowerRecord | undefined;
  for (const record of records) if (newest === undefined || record.unixTimestamp >= newest.unixTimestamp) newest = record;
  return newest;
}

/**
 * Only the NEWEST record is written: a Pushgateway group keeps one value per series, and two
 * samples of the same series in one exposition are invalid, so older records have nothing to add.
 * Samples carry no timestamp, because the Pushgateway refuses pushed timestamps.
 */
export function encodePrometheus(records: BagtowerRecord[], _options: EncodeOptions): Encoded {
  const newest = _newest(records);
  return { body: prometheusExposition(newest ? [newest] : []), contentType: "text/plain; version=0.0.4; charset=utf-8", headers: {} };
}

/**
 * The exposition of several records, one per device (serve's /metrics): families are shared, so
 * each has one HELP and one TYPE line whatever the number of devices.
 */
export function prometheusExposition(records: BagtowerRecord[]): string {
  const exposition = createExposition();
  for (const record of records) exposition.add(record);
  return exposition.text();
}

/** The same exposition built record by record: serve's /metrics adds a page of devices at a time, yielding in between. */
export function createExposition(): { add(record: BagtowerRecord): void; text(): string } {
  const families = new Map<string, _Family>();

  const add = (record: BagtowerRecord) => {
    for (const sample of prometheusSamples(record)) {
      let family = families.get(sample.name);
      if (family === undefined) {
        family = { name: sample.name, type: sample.type, help: sample.help, samples: [], labelSets: new Set() };
        families.set(sample.name, family);
      }
      // Two items that land on one name with different types cannot share a family; keep the first.
      if (family.type !== sample.type) continue;
      const text = _labelText(sample.labels);
      // A duplicate series (same name and labels) makes the whole exposition invalid.
      if (family.labelSets.has(text)) continue;
      family.labelSets.add(text);
      family.samples.push(`${sample.name}${text} ${sample.value}`);
    }
  };

  const text = () => {
    const lines: string[] = [];
    for (const family of families.values()) {
      if (family.samples.length === 0) continue;
      lines.push(`# HELP ${family.name} ${_escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`, ...family.samples);
    }
    return lines.map((line) => `${line}\n`).join("");
  };
  return { add, text };
}

/** node_exporter's textfile collector reads the same format: `collect --format prometheus > x.prom`. */
export const encodePrometheusTextfile: typeof encodePrometheus = encodePrometheus;
