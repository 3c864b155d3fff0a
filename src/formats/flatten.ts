import type { BagtowerRecord, ItemType } from "../record/schema.ts";

/** One number of a record: `cpu` → one; `cpu_per_cpu` → one per index; `load` → one per key. */
export interface NumericPoint {
  id: string;
  /** The array index or object key; undefined for a scalar item. */
  key?: string;
  type: Exclude<ItemType, "string">;
  value: number;
}

/**
 * Every finite number of a record, in record order: what the numeric wire formats (Datadog,
 * Influx, Prometheus) carry. String items are skipped; non-finite numbers are never sent.
 */
export function numericPoints(record: BagtowerRecord): NumericPoint[] {
  const out: NumericPoint[] = [];
  for (const item of record.data) {
    if (item.type === "string") continue;
    const { id, type, val } = item;
    if (typeof val === "number") {
      if (Number.isFinite(val)) out.push({ id, type, value: val });
    } else if (Array.isArray(val)) {
      val.forEach((value, index) => {
        if (Number.isFinite(value)) out.push({ id, key: String(index), type, value });
      });
    } else {
      for (const [key, value] of Object.entries(val)) if (Number.isFinite(value)) out.push({ id, key, type, value });
    }
  }
  return out;
}

/** The host name a record speaks for: deviceId when set, else the machine's hostname. */
export function recordHost(record: BagtowerRecord): string {
  return record.deviceId ?? record.meta.hostname;
}
