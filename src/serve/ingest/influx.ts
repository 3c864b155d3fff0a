// Influx line protocol: POST /write (InfluxDB 1.x: ?db=&precision=) and /api/v2/write
// (?org=&bucket=&precision=). The device is the `device` tag, else `host`. Measurement `bagtower`
// (bagtower's own influx sink) maps fields back to items through metric-names.ts:
// `filesystem_used_percent` with tag mountpoint=/ → filesystems["/"]; the fields of agents before
// issue 15 too (cpu_per_cpu_0 → cpu_per_cpu[0]). Any other measurement becomes one item per
// measurement with a key per field (Telegraf's cpu → cpu.usage_idle …).
import { INFLUX_KEY_SEPARATOR, INFLUX_MEASUREMENT } from "../../formats/influx.ts";
import { GENERIC_KEY_LABEL, seriesItem } from "../../formats/metric-names.ts";
import { BUILTIN_IDS } from "../../record/builtin-ids.ts";
import { toDeviceId } from "../../record/device-id-rules.ts";
import { LABEL_NAME_PATTERN } from "../../record/labels.ts";
import type { Item } from "../../record/schema.ts";
import { HttpError } from "../http-errors.ts";
import { checkCount, checkNotFuture } from "../limits.ts";
import type { IngestRecord } from "../store.ts";
import { eachLine, LineError, toSeconds, type Point } from "./line-protocol.ts";
import { checkItems, checkLabels, foreignToIngest, groupItems, toItemId, type ParseOptions } from "./normalize.ts";

/** Longest built-in id first, so `cpu_per_cpu_0` is not read as `cpu` + `per_cpu_0`. */
const _BUILTINS = [...BUILTIN_IDS].sort((a, b) => b.length - a.length);

/** A field of agents before issue 15: `<id>` or `<id>_<key>`. */
function _oldBagtowerField(field: string): { id: string; key?: string } {
  for (const id of _BUILTINS) {
    if (field === id) return { id };
    if (field.startsWith(`${id}${INFLUX_KEY_SEPARATOR}`)) return { id, key: field.slice(id.length + INFLUX_KEY_SEPARATOR.length) };
  }
  return { id: toItemId(field) };
}

/**
 * Records (one per device and timestamp) from a line-protocol body, grouped line by line: the
 * per-request limits stop the parse at the first line over them, before the rest is read.
 */
export function parseInflux(body: string, params: URLSearchParams, { limits, nowS }: ParseOptions): IngestRecord[] {
  const precision = params.get("precision") ?? "ns";
  const groups = new Map<string, { deviceId: string; ts: number; labels: Record<string, string>; entries: Parameters<typeof groupItems>[0] }>();
  const add = (point: Point, lineNumber: number) => {
    const deviceId = toDeviceId(point.tags.device) ?? toDeviceId(point.tags.host);
    if (!deviceId) throw new HttpError(400, `unable to parse line ${lineNumber}: a device or host tag is needed to know the device`);
    let ts: number;
    try {
      ts = point.timestamp === undefined ? nowS : toSeconds(point.timestamp, precision);
    } catch (error) {
      throw new HttpError(400, (error as Error).message);
    }
    checkNotFuture(ts, nowS, limits, `line ${lineNumber}`);
    const key = `${deviceId}\u0000${ts}`;
    let group = groups.get(key);
    if (!group) {
      groups.set(key, (group = { deviceId, ts, labels: {}, entries: [] }));
      checkCount(groups.size, limits.recordsPerRequest, "recordsPerRequest", `line ${lineNumber} (one record per device and timestamp)`, true);
    }
    const ours = point.measurement === INFLUX_MEASUREMENT;
    // Tags that carried an item's key (interface=eth0) are not the record's labels.
    const keyLabels = new Set<string>();
    for (const [field, raw] of Object.entries(point.fields)) {
      const value = typeof raw === "boolean" ? Number(raw) : raw;
      const type: Item["type"] = typeof value === "string" ? "string" : point.integers.has(field) ? "count" : "number";
      if (!ours) {
        group.entries.push({ id: toItemId(typeof value === "string" ? `${point.measurement}_text` : point.measurement), key: field.slice(0, 64), type, value });
        continue;
      }
      const item = typeof value === "number" ? seriesItem(field, point.tags, value) : undefined;
      if (item !== undefined) {
        for (const label of item.keyLabels) keyLabels.add(label);
        group.entries.push({ id: item.id, key: item.key, type: item.type, value: item.value });
      } else if (point.tags[GENERIC_KEY_LABEL] !== undefined) {
        keyLabels.add(GENERIC_KEY_LABEL);
        group.entries.push({ id: toItemId(field), key: point.tags[GENERIC_KEY_LABEL], type, value });
      } else {
        group.entries.push({ ..._oldBagtowerField(field), type, value });
      }
    }
    for (const [k, value] of Object.entries(point.tags)) if (k !== "device" && k !== "host" && !keyLabels.has(k) && LABEL_NAME_PATTERN.test(k)) group.labels[k] = value;
    checkLabels(group.labels, limits, `line ${lineNumber}`);
  };
  try {
    eachLine(body, add);
  } catch (error) {
    if (error instanceof LineError) throw new HttpError(400, `unable to parse ${error.message}`);
    throw error;
  }
  if (groups.size === 0) throw new HttpError(400, "no line to write");
  return [...groups.values()].map((g) => {
    const data = groupItems(g.entries);
    checkCount(data.length, limits.itemsPerRecord, "itemsPerRecord", `device ${g.deviceId} at ${g.ts}`);
    return foreignToIngest({ deviceId: g.deviceId, unixTimestamp: g.ts, data: checkItems(data, `device ${g.deviceId}`), labels: g.labels, agent: "influx" });
  });
}
