// BAG·Tower ingest (SPEC §9): POST /logs and /prod/logs, x-api-key, one record or an array.
import * as v from "valibot";
import { deviceIdSchema } from "../../record/device-id-rules.ts";
import { checkedEnvelope } from "../../record/envelope-check.ts";
import { checkedItem } from "../../record/item-check.ts";
import { itemSchema, metaSchema, type BagtowerRecord, type Item } from "../../record/schema.ts";
import { issueText } from "../../issue-text.ts";
import { HttpError } from "../http-errors.ts";
import { checkCount, checkNotFuture, LimitError } from "../limits.ts";
import type { IngestRecord } from "../store.ts";
import { contentId, MAX_UNIX_SECONDS, type ParseOptions } from "./normalize.ts";

/**
 * meta as a receiver accepts it: every field optional, so a third-party sender can add just a
 * recordId (deduplication) or tags; the stored record gets the defaults of completeMeta.
 */
const _ingestMetaSchema = v.partial(metaSchema);

/**
 * The record as a receiver accepts it: meta and UTCTimestamp are optional, because
 * microcontroller sketches that post to BAG·Tower send only deviceId, unixTimestamp and data.
 */
const _record = <T extends v.GenericSchema>(item: T) =>
  v.strictObject({
    deviceId: v.optional(deviceIdSchema),
    unixTimestamp: v.pipe(v.number("expected a number"), v.integer("expected whole seconds"), v.minValue(0, "expected seconds since 1970"), v.maxValue(MAX_UNIX_SECONDS, "expected seconds before the year 3000")),
    UTCTimestamp: v.optional(v.pipe(v.string("expected a string"), v.maxLength(64, "expected an ISO 8601 timestamp"))),
    data: v.array(item, "expected an array of items"),
    meta: v.optional(_ingestMetaSchema),
  });
export const ingestRecordSchema = _record(itemSchema);
// The same record with its items checked by checkedItem (record/item-check.ts) instead.
const _envelopeSchema = _record(v.unknown());

export type IngestBody = v.InferOutput<typeof ingestRecordSchema>;

/** meta's free-form parts (tags, errors, self.lastError) within the string limit, checked after the schema: no string of any length is stored. */
function _checkMeta(meta: IngestBody["meta"], max: number, itemsPerRecord: number, where: string): void {
  if (!meta) return;
  const over = (text: string, path: string) => {
    if (text.length > max) throw new LimitError(413, "stringLength", `${where}meta.${path}: ${text.length} characters, over the limit of ${max}`);
  };
  let tags = 0;
  for (const k in meta.tags ?? {}) {
    if (++tags > itemsPerRecord) throw new LimitError(413, "itemsPerRecord", `${where}meta.tags: more than ${itemsPerRecord} tags, over the limit of ${itemsPerRecord}`);
    over(k, "tags (a name)");
    over(meta.tags![k]!, `tags.${k.slice(0, 40)}`);
  }
  const errors = meta.errors ?? [];
  checkCount(errors.length, itemsPerRecord, "itemsPerRecord", `${where}meta.errors`);
  for (let i = 0; i < errors.length; i++) {
    over(errors[i]!.id, `errors.${i}.id`);
    over(errors[i]!.message, `errors.${i}.message`);
  }
  if (meta.self?.lastError) over(meta.self.lastError, "self.lastError");
}

/**
 * A partial meta made whole for the stored record, which forwarding hands to encoders that read
 * every field: recordId from the content (as for foreign formats), machineId from the deviceId,
 * hostname the deviceId, bootId "", seq 0, agent "", no tags, no errors.
 */
export function completeMeta(meta: NonNullable<IngestBody["meta"]>, record: { deviceId: string; unixTimestamp: number; data: Item[] }): BagtowerRecord["meta"] {
  return {
    ...meta,
    recordId: meta.recordId ?? contentId("bagtower", record.deviceId, record.unixTimestamp, record.data),
    machineId: meta.machineId ?? record.deviceId.replace(/[^0-9a-zA-Z_-]/g, "_").slice(0, 64),
    hostname: meta.hostname ?? record.deviceId,
    bootId: meta.bootId ?? "",
    seq: meta.seq ?? 0,
    agent: meta.agent ?? "",
    tags: meta.tags ?? {},
    errors: meta.errors ?? [],
  };
}

/**
 * The record as ingestRecordSchema outputs it. Its items are checked by checkedItem when every one
 * passes (the common case: a third of the cost), and the rest of an agent's whole record by
 * checkedEnvelope (as much again: what an agent sends is a full record, which the partial meta of
 * the ingest schema also takes, output for output); otherwise valibot checks it all and names the field.
 */
function _validated(raw: unknown, where: string): IngestBody {
  const data = raw !== null && typeof raw === "object" ? (raw as { data?: unknown }).data : undefined;
  if (Array.isArray(data)) {
    const items: Item[] = [];
    for (const input of data) {
      const item = checkedItem(input);
      if (!item) break;
      items.push(item);
    }
    if (items.length === data.length) {
      const whole = checkedEnvelope(raw, items);
      if (whole && whole.unixTimestamp <= MAX_UNIX_SECONDS) return whole;
      const envelope = v.safeParse(_envelopeSchema, raw);
      if (envelope.success) return { ...envelope.output, data: items };
    }
  }
  const result = v.safeParse(ingestRecordSchema, raw);
  if (!result.success) throw new HttpError(400, `${where}${issueText(result.issues, "(body)")}`);
  return result.output;
}

/** Up to this many items, ids are compared pairwise: cheaper than building a Set per record. */
const _PAIRWISE_ITEMS = 32;

/** The first item id that appears twice (at its second place), if any. */
function _repeatedId(data: readonly Item[]): string | undefined {
  if (data.length <= _PAIRWISE_ITEMS) {
    for (let i = 1; i < data.length; i++) {
      const id = data[i]!.id;
      for (let j = 0; j < i; j++) if (data[j]!.id === id) return id;
    }
    return undefined;
  }
  const ids = new Set<string>();
  for (const item of data) {
    if (ids.has(item.id)) return item.id;
    ids.add(item.id);
  }
  return undefined;
}

/**
 * Validated records, or a 4xx naming the field (`1.data.3.val: expected …`). The stored body is the
 * validated record, re-serialised: a duplicate JSON key or an unknown meta field in the request is
 * not kept beside the value the receiver used.
 */
export function parseBagtowerBody(json: unknown, { limits, nowS }: ParseOptions): IngestRecord[] {
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw new HttpError(400, "body: expected a record or a non-empty array of records");
  checkCount(list.length, limits.recordsPerRequest, "recordsPerRequest", "body");
  const out: IngestRecord[] = [];
  list.forEach((raw, index) => {
    const where = Array.isArray(json) ? `${index}.` : "";
    if (raw && typeof raw === "object" && Array.isArray((raw as { data?: unknown }).data)) {
      checkCount((raw as { data: unknown[] }).data.length, limits.itemsPerRecord, "itemsPerRecord", `${where}data`);
    }
    const record = _validated(raw, where);
    const deviceId = record.deviceId ?? record.meta?.machineId;
    if (!deviceId) throw new HttpError(400, `${where}deviceId: required (or meta.machineId)`);
    checkNotFuture(record.unixTimestamp, nowS, limits, `${where}unixTimestamp`);
    _checkMeta(record.meta, limits.stringLength, limits.itemsPerRecord, where);
    const twice = _repeatedId(record.data);
    if (twice !== undefined) throw new HttpError(400, `${where}data: item "${twice}" appears twice`);
    out.push({
      deviceId,
      recordId: record.meta?.recordId,
      machineId: record.meta?.machineId,
      hostname: record.meta?.hostname,
      agent: record.meta?.agent,
      unixTimestamp: record.unixTimestamp,
      data: record.data,
      body: () => JSON.stringify(record.meta ? { ...record, meta: completeMeta(record.meta, { deviceId, unixTimestamp: record.unixTimestamp, data: record.data }) } : record),
    });
  });
  return out;
}
