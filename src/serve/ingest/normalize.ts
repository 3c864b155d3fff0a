import * as v from "valibot";
import { ITEM_ID_PATTERN, itemSchema, type BagtowerRecord, type Item } from "../../record/schema.ts";
import { issueText } from "../../issue-text.ts";
import { HttpError } from "../http-errors.ts";
import { LimitError, MAX_UNIX_SECONDS, type Limits } from "../limits.ts";
import type { IngestRecord } from "../store.ts";

/** What a parser checks records against: the receiver's limits and its clock (unix seconds). */
export interface ParseOptions {
  limits: Limits;
  nowS: number;
}

/** A record's labels within the caps: at most labelsPerDevice of them, each value at most labelLength (422 naming the cap). */
export function checkLabels(labels: Record<string, string>, limits: Limits, where: string): Record<string, string> {
  let n = 0;
  for (const name in labels) {
    if (++n > limits.labelsPerDevice) throw new LimitError(422, "labelsPerDevice", `${where}: more than ${limits.labelsPerDevice} labels, over the limit of ${limits.labelsPerDevice} per device`);
    const value = labels[name]!;
    if (value.length > limits.labelLength) throw new LimitError(422, "labelLength", `${where}: label ${name} has ${value.length} characters, over the limit of ${limits.labelLength}`);
  }
  return labels;
}

/** A foreign name (pattoo key, Datadog metric, Influx field) as an item id: 1–64 of [A-Za-z0-9_.:-]. */
export function toItemId(name: string): string {
  const id = name.trim().replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 64);
  return ITEM_ID_PATTERN.test(id) ? id : "_";
}

/** A stable id for a record that came without one, so a replayed request is a duplicate. */
export function contentId(...parts: unknown[]): string {
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(parts)).digest("base64url");
}

/** Checks the items a foreign format produced; the first bad one is a 400 naming it. */
export function checkItems(items: Item[], where: string): Item[] {
  for (const item of items) {
    const result = v.safeParse(itemSchema, item);
    if (!result.success) throw new HttpError(400, `${where}: item "${item.id}": ${issueText(result.issues, "item")}`);
  }
  return items;
}

export interface ForeignRecord {
  deviceId: string;
  unixTimestamp: number;
  data: Item[];
  labels?: Record<string, string>;
  hostname?: string;
  agent: string;
  recordId?: string;
  /** The request payload as received, when the format says to keep it (telemetrics). */
  body?: string;
}

export { MAX_UNIX_SECONDS };

/** A record from another system in bagtower's shape, ready for the store (and for forwarding). */
export function foreignToIngest(r: ForeignRecord): IngestRecord {
  if (!Number.isSafeInteger(r.unixTimestamp) || r.unixTimestamp < 0 || r.unixTimestamp > MAX_UNIX_SECONDS) {
    throw new HttpError(400, `timestamp ${r.unixTimestamp} of device ${r.deviceId} is out of range (expected unix seconds between 1970 and 3000)`);
  }
  const recordId = r.recordId ?? contentId(r.agent, r.deviceId, r.unixTimestamp, r.data);
  const record: BagtowerRecord = {
    deviceId: r.deviceId,
    unixTimestamp: r.unixTimestamp,
    UTCTimestamp: new Date(r.unixTimestamp * 1000).toISOString(),
    data: r.data,
    meta: {
      recordId,
      machineId: r.deviceId.replace(/[^0-9a-zA-Z_-]/g, "_").slice(0, 64),
      hostname: r.hostname ?? r.deviceId,
      bootId: "",
      seq: 0,
      agent: r.agent,
      tags: r.labels ?? {},
      errors: [],
    },
  };
  return {
    deviceId: r.deviceId,
    recordId,
    hostname: r.hostname,
    agent: r.agent,
    unixTimestamp: r.unixTimestamp,
    data: r.data,
    labels: r.labels,
    body: () => JSON.stringify(record),
    ...(r.body !== undefined ? { payload: r.body } : {}),
  };
}

/** Groups values into one item per id: one value → scalar, several (by sub-key) → an object. */
export function groupItems(entries: { id: string; key?: string; type: Item["type"]; value: number | string }[]): Item[] {
  const byId = new Map<string, { type: Item["type"]; values: Map<string | undefined, number | string> }>();
  for (const e of entries) {
    let group = byId.get(e.id);
    if (!group) byId.set(e.id, (group = { type: e.type, values: new Map() }));
    group.values.set(e.key, e.value);
  }
  const out: Item[] = [];
  for (const [id, group] of byId) {
    const isString = group.type === "string";
    if (group.values.size === 1 && group.values.has(undefined)) {
      const value = group.values.get(undefined)!;
      out.push({ id, type: group.type, val: isString ? String(value) : value } as Item);
      continue;
    }
    const obj: Record<string, number | string> = {};
    let n = 0;
    for (const [key, value] of group.values) obj[(key ?? String(n++)).slice(0, 64)] = isString ? String(value) : value;
    // Keys 0, 1, 2 … were an array (cpu_per_cpu) that the other format carried value by value.
    const keys = Object.keys(obj);
    const array = !isString && keys.every((k, i) => k === String(i));
    out.push({ id, type: group.type, val: array ? keys.map((k) => obj[k]) : obj } as Item);
  }
  return out;
}

/** `cpu_per_cpu.0` → (cpu_per_cpu, 0) when the part before the dot is a bagtower item, else the whole name. */
export function splitBuiltinKey(name: string, builtins: readonly string[]): { id: string; key?: string } {
  const dot = name.indexOf(".");
  if (dot > 0 && builtins.includes(name.slice(0, dot))) return { id: name.slice(0, dot), key: name.slice(dot + 1) };
  return { id: toItemId(name) };
}
