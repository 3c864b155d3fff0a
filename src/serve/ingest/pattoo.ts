// pattoo agent API: POST /pattoo/api/v1/agent/receive/{agentId} with the normalised pattoo JSON
// (seeds/001): key-value pairs resolved through datapoint_pairs. Checksums are kept as sent, not
// recomputed: pattoo's own server never recomputes them.
import * as v from "valibot";
import type { Item } from "../../record/schema.ts";
import { issueText } from "../../issue-text.ts";
import { HttpError } from "../http-errors.ts";
import { checkCount, checkNotFuture } from "../limits.ts";
import type { IngestRecord } from "../store.ts";
import { BUILTIN_IDS } from "../../record/builtin-ids.ts";
import { toDeviceId } from "../../record/device-id-rules.ts";
import { checkItems, checkLabels, foreignToIngest, groupItems, splitBuiltinKey, type ParseOptions } from "./normalize.ts";

const _pairValue = v.union([v.string(), v.number(), v.boolean(), v.null()]);

export const pattooSchema = v.strictObject(
  {
    pattoo_agent_timestamp: v.pipe(v.number("expected a number (ms)"), v.integer("expected whole milliseconds"), v.minValue(0)),
    pattoo_agent_id: v.pipe(v.string("expected a string"), v.minLength(1, "expected an agent id"), v.maxLength(512)),
    pattoo_agent_polling_interval: v.pipe(v.number("expected a number (ms)"), v.minValue(0)),
    pattoo_datapoints: v.strictObject(
      {
        key_value_pairs: v.record(v.pipe(v.string(), v.regex(/^\d+$/, "expected a numeric id")), v.tuple([v.pipe(v.string(), v.maxLength(256)), _pairValue], "expected a [key, value] pair")),
        datapoint_pairs: v.array(v.array(v.pipe(v.number(), v.integer(), v.minValue(0)), "expected an array of pair ids"), "expected an array of datapoints"),
      },
      "unknown key in pattoo_datapoints (expected key_value_pairs and datapoint_pairs)",
    ),
  },
  "unknown top-level key (a pattoo post has exactly pattoo_agent_timestamp, pattoo_agent_id, pattoo_agent_polling_interval and pattoo_datapoints)",
);

const _TYPE: Record<number, Item["type"]> = { 101: "number", 99: "number", 64: "counter", 32: "counter", 2: "string" };

/** Records (one per polled target) from a pattoo post, within the per-request limits. */
export function parsePattoo(json: unknown, agentIdInPath: string, { limits, nowS }: ParseOptions): IngestRecord[] {
  const result = v.safeParse(pattooSchema, json);
  if (!result.success) {
    throw new HttpError(400, issueText(result.issues, "body"));
  }
  const post = result.output;
  if (post.pattoo_agent_id !== agentIdInPath) throw new HttpError(400, `pattoo_agent_id: ${post.pattoo_agent_id.slice(0, 16)}… is not the agent id of the URL`);
  const unixTimestamp = Math.floor(post.pattoo_agent_timestamp / 1000);
  checkNotFuture(unixTimestamp, nowS, limits, "pattoo_agent_timestamp");
  const pairs = post.pattoo_datapoints.key_value_pairs;
  const devices = new Map<string, { hostname?: string; labels: Record<string, string>; entries: (Parameters<typeof groupItems>[0][number] & { metadata: string })[] }>();
  post.pattoo_datapoints.datapoint_pairs.forEach((ids, index) => {
    const point: Record<string, string | number | boolean | null> = {};
    const metadata: [string, string][] = [];
    for (const id of ids) {
      const pair = pairs[String(id)];
      if (!pair) throw new HttpError(400, `pattoo_datapoints.datapoint_pairs.${index}: no key-value pair ${id}`);
      const [key, value] = pair;
      if (key.startsWith("pattoo_")) point[key] = value;
      else metadata.push([key.trim().toLowerCase(), String(value).trim()]);
    }
    const key = point.pattoo_key;
    const dataType = point.pattoo_data_type;
    const value = point.pattoo_value;
    if (typeof key !== "string" || typeof dataType !== "number" || value === undefined || value === null) {
      throw new HttpError(400, `pattoo_datapoints.datapoint_pairs.${index}: a datapoint needs pattoo_key, pattoo_data_type and pattoo_value`);
    }
    const type = _TYPE[dataType];
    if (!type) throw new HttpError(400, `pattoo_datapoints.datapoint_pairs.${index}: pattoo_data_type ${dataType} is not one of 101, 99, 64, 32, 2`);
    if (type !== "string" && (typeof value !== "number" || !Number.isFinite(value))) {
      throw new HttpError(400, `pattoo_datapoints.datapoint_pairs.${index}: pattoo_value of type ${dataType} must be a number`);
    }
    const target = typeof point.pattoo_agent_polled_target === "string" ? point.pattoo_agent_polled_target : undefined;
    const hostname = typeof point.pattoo_agent_hostname === "string" ? point.pattoo_agent_hostname : undefined;
    const deviceId = toDeviceId(target) ?? toDeviceId(hostname) ?? toDeviceId(post.pattoo_agent_id.slice(0, 64))!;
    let device = devices.get(deviceId);
    if (!device) {
      devices.set(deviceId, (device = { hostname, labels: {}, entries: [] }));
      checkCount(devices.size, limits.recordsPerRequest, "recordsPerRequest", `pattoo_datapoints.datapoint_pairs.${index} (one record per polled target)`, true);
    }
    for (const [k, v2] of metadata) device.labels[k.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 64)] = v2;
    checkLabels(device.labels, limits, `pattoo_datapoints.datapoint_pairs.${index}`);
    const name = splitBuiltinKey(key.trim().toLowerCase(), BUILTIN_IDS);
    device.entries.push({ ...name, type, value: type === "string" ? String(value) : (value as number), metadata: metadata.map(([, m]) => m).join("/") });
  });
  // Several datapoints under one key (one per interface, say) become one item keyed by their metadata.
  for (const d of devices.values()) {
    const count = new Map<string, number>();
    for (const e of d.entries) count.set(e.id, (count.get(e.id) ?? 0) + 1);
    for (const e of d.entries) if (e.key === undefined && count.get(e.id)! > 1) e.key = e.metadata || undefined;
  }
  return [...devices.entries()].map(([deviceId, d]) => {
    const data = groupItems(d.entries);
    checkCount(data.length, limits.itemsPerRecord, "itemsPerRecord", `pattoo_datapoints of target ${deviceId}`);
    return foreignToIngest({
      deviceId,
      unixTimestamp,
      data: checkItems(data, "pattoo_datapoints"),
      labels: checkLabels({ pattoo_agent_id: post.pattoo_agent_id.slice(0, limits.labelLength), ...d.labels }, limits, `pattoo_datapoints of target ${deviceId}`),
      hostname: d.hostname,
      agent: "pattoo",
    });
  });
}
