// Datadog v1 series: POST /api/v1/series ({"series": [{metric, points, type, host, tags}]}), as
// chouette-iot and Datadog agents send it; `host` is the device. bagtower's own datadog sink names
// metrics as metric-names.ts does (bagtower.network_receive_bytes_total, tag interface:eth0), and
// agents before issue 15 bagtower.<id>[.<key>] (counters with .total): both map back to the items.
import * as v from "valibot";
import { DATADOG_COUNTER_SUFFIX, DATADOG_PREFIX } from "../../formats/datadog.ts";
import { GENERIC_KEY_LABEL, seriesItem } from "../../formats/metric-names.ts";
import { toDeviceId } from "../../record/device-id-rules.ts";
import { LABEL_NAME_PATTERN } from "../../record/labels.ts";
import type { Item } from "../../record/schema.ts";
import { issueText } from "../../issue-text.ts";
import { HttpError } from "../http-errors.ts";
import { checkCount, checkNotFuture } from "../limits.ts";
import type { IngestRecord } from "../store.ts";
import { checkItems, checkLabels, foreignToIngest, groupItems, toItemId, type ParseOptions } from "./normalize.ts";

const _point = v.tuple([v.number("expected a timestamp"), v.union([v.number(), v.null()], "expected a number")], "expected [timestamp, value]");

export const seriesSchema = v.object({
  series: v.pipe(
    v.array(
      v.object({
        metric: v.pipe(v.string("expected a metric name"), v.minLength(1), v.maxLength(200)),
        points: v.array(_point, "expected an array of [timestamp, value]"),
        type: v.optional(v.picklist(["gauge", "count", "rate"], "expected gauge, count or rate")),
        host: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(255)))),
        tags: v.optional(v.nullable(v.array(v.pipe(v.string(), v.maxLength(200))))),
        interval: v.optional(v.nullable(v.number())),
        device: v.optional(v.nullable(v.string())),
      }),
      "expected an array of series",
    ),
    v.maxLength(10_000, "expected at most 10,000 series"),
  ),
});

/**
 * The item of a metric: a bagtower rule's name and key tags (`bagtower.cpu_per_cpu_percent`,
 * cpu:0), an unknown bagtower item with its `key` tag, an agent's before issue 15
 * (`bagtower.cpu_per_cpu.0`, `bagtower.network.bytes_sent.total` a counter), or any other metric
 * as an item of that name.
 */
function _item(metric: string, type: string | undefined, tags: Record<string, string>, value: number): { id: string; key?: string; type: Item["type"]; value: number; keyLabels: string[] } {
  if (metric.startsWith(DATADOG_PREFIX)) {
    const found = seriesItem(metric.slice(DATADOG_PREFIX.length), tags, value);
    if (found !== undefined) return found;
  }
  const counter = metric.endsWith(DATADOG_COUNTER_SUFFIX);
  const name = counter ? metric.slice(0, -DATADOG_COUNTER_SUFFIX.length) : metric;
  const itemType: Item["type"] = counter ? "counter" : type === "count" ? "count" : "number";
  if (name.startsWith(DATADOG_PREFIX)) {
    const [id, ...rest] = name.slice(DATADOG_PREFIX.length).split(".");
    if (rest.length > 0) return { id: toItemId(id!), key: rest.join("."), type: itemType, value, keyLabels: [] };
    const key = tags[GENERIC_KEY_LABEL];
    return { id: toItemId(id!), key, type: itemType, value, keyLabels: key === undefined ? [] : [GENERIC_KEY_LABEL] };
  }
  return { id: toItemId(name), type: itemType, value, keyLabels: [] };
}

/**
 * Records (one per device and timestamp) from a series body. The per-request limits are checked
 * while the groups are built: a body that would make more records than allowed stops at the first
 * one over, before anything else is built.
 */
export function parseDatadog(json: unknown, { limits, nowS }: ParseOptions): IngestRecord[] {
  const result = v.safeParse(seriesSchema, json);
  if (!result.success) {
    throw new HttpError(400, issueText(result.issues, "body"));
  }
  // One record per device and timestamp.
  const groups = new Map<string, { deviceId: string; ts: number; labels: Record<string, string>; entries: Parameters<typeof groupItems>[0] }>();
  result.output.series.forEach((s, index) => {
    const tags = Object.fromEntries((s.tags ?? []).map((t) => (t.includes(":") ? [t.slice(0, t.indexOf(":")), t.slice(t.indexOf(":") + 1)] : [t, ""])));
    const deviceId = toDeviceId(tags.device) ?? toDeviceId(s.host ?? undefined);
    if (!deviceId) throw new HttpError(400, `series.${index}.host: required (the device), or a device:<id> tag`);
    // Tags that carried an item's key (interface:eth0) are not the record's labels; the key is the same for every point.
    const keyLabels = new Set(_item(s.metric, s.type, tags, 0).keyLabels);
    const labels: Record<string, string> = {};
    for (const [k, value] of Object.entries(tags)) if (k !== "device" && !keyLabels.has(k) && LABEL_NAME_PATTERN.test(k)) labels[k] = value;
    checkLabels(labels, limits, `series.${index}.tags`);
    for (const [ts, raw] of s.points) {
      if (raw === null || !Number.isFinite(raw)) continue;
      const { keyLabels: _, ...item } = _item(s.metric, s.type, tags, raw);
      const seconds = Math.floor(ts);
      checkNotFuture(seconds, nowS, limits, `series.${index}.points`);
      const key = `${deviceId}\u0000${seconds}`;
      let group = groups.get(key);
      if (!group) {
        groups.set(key, (group = { deviceId, ts: seconds, labels: {}, entries: [] }));
        checkCount(groups.size, limits.recordsPerRequest, "recordsPerRequest", "series (one record per host and timestamp)", true);
      }
      Object.assign(group.labels, labels);
      group.entries.push(item);
    }
  });
  return [...groups.values()].map((g) => {
    const data = groupItems(g.entries);
    checkCount(data.length, limits.itemsPerRecord, "itemsPerRecord", `series of host ${g.deviceId} at ${g.ts}`);
    return foreignToIngest({ deviceId: g.deviceId, unixTimestamp: g.ts, data: checkItems(data, "series"), labels: checkLabels(g.labels, limits, `series of host ${g.deviceId}`), agent: "datadog" });
  });
}
