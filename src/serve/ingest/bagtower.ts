// BAG·Tower ingest (SPEC §9): POST /logs and /prod/logs, x-api-key, one record or an array.
import * as v from "valibot";
import { deviceIdSchema } from "../../config/schema.ts";
import { itemSchema, metaSchema } from "../../record/schema.ts";
import { HttpError } from "../http-errors.ts";
import type { Limits } from "../limits.ts";
import type { IngestRecord } from "../store.ts";
import { MAX_UNIX_SECONDS } from "./normalize.ts";

/**
 * The record as a receiver accepts it: meta and UTCTimestamp are optional, because
 * microcontroller sketches that post to BAG·Tower send only deviceId, unixTimestamp and data.
 */
export const ingestRecordSchema = v.strictObject({
  deviceId: v.optional(deviceIdSchema),
  unixTimestamp: v.pipe(v.number("expected a number"), v.integer("expected whole seconds"), v.minValue(0, "expected seconds since 1970"), v.maxValue(MAX_UNIX_SECONDS, "expected seconds before the year 3000")),
  UTCTimestamp: v.optional(v.pipe(v.string("expected a string"), v.maxLength(64, "expected an ISO 8601 timestamp"))),
  data: v.array(itemSchema, "expected an array of items"),
  meta: v.optional(metaSchema),
});

export type IngestBody = v.InferOutput<typeof ingestRecordSchema>;

function _path(issue: v.BaseIssue<unknown>): string {
  return v.getDotPath(issue) ?? "(body)";
}

/** Validated records, or a 4xx naming the field (`1.data.3.val: expected …`). */
export function parseBagtowerBody(json: unknown, limits: Limits, bodyText: string): IngestRecord[] {
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw new HttpError(400, "body: expected a record or a non-empty array of records");
  if (list.length > limits.recordsPerRequest) throw new HttpError(413, `body: ${list.length} records, over the limit of ${limits.recordsPerRequest} per request`);
  const out: IngestRecord[] = [];
  list.forEach((raw, index) => {
    const where = Array.isArray(json) ? `${index}.` : "";
    if (raw && typeof raw === "object" && Array.isArray((raw as { data?: unknown }).data) && (raw as { data: unknown[] }).data.length > limits.itemsPerRecord) {
      throw new HttpError(413, `${where}data: ${(raw as { data: unknown[] }).data.length} items, over the limit of ${limits.itemsPerRecord} per record`);
    }
    const result = v.safeParse(ingestRecordSchema, raw);
    if (!result.success) {
      const issue = result.issues[0];
      throw new HttpError(400, `${where}${_path(issue)}: ${issue.message}${issue.received ? `, got ${issue.received.slice(0, 60)}` : ""}`);
    }
    const record = result.output;
    const deviceId = record.deviceId ?? record.meta?.machineId;
    if (!deviceId) throw new HttpError(400, `${where}deviceId: required (or meta.machineId)`);
    const ids = new Set<string>();
    for (const item of record.data) {
      if (ids.has(item.id)) throw new HttpError(400, `${where}data: item "${item.id}" appears twice`);
      ids.add(item.id);
    }
    out.push({
      deviceId,
      recordId: record.meta?.recordId,
      machineId: record.meta?.machineId,
      hostname: record.meta?.hostname,
      unixTimestamp: record.unixTimestamp,
      data: record.data,
      body: list.length === 1 ? bodyText : JSON.stringify(raw),
    });
  });
  return out;
}
