// telemetrics-backend's collector: POST / and /v2/collector with the record's metadata in headers
// (telemetrics-client sends record_format_version …; proxies may turn them into
// Record-Format-Version …: both are read) and the payload as the body, stored as sent. A payload
// that is a bagtower record also feeds the device's items.
import * as v from "valibot";
import { toDeviceId } from "../../record/device-id-rules.ts";
import type { Item } from "../../record/schema.ts";
import { issueText } from "../../issue-text.ts";
import { HttpError } from "../http-errors.ts";
import { checkCount, checkNotFuture } from "../limits.ts";
import type { IngestRecord } from "../store.ts";
import { ingestRecordSchema } from "./bagtower.ts";
import { checkItems, contentId, foreignToIngest, type ParseOptions } from "./normalize.ts";

export const TELEMETRICS_HEADERS = [
  "record_format_version",
  "classification",
  "severity",
  "machine_id",
  "creation_timestamp",
  "arch",
  "host_type",
  "build",
  "kernel_version",
  "payload_format_version",
  "system_name",
  "board_name",
  "cpu_model",
  "bios_version",
  "event_id",
] as const;

const _REQUIRED = ["record_format_version", "classification", "severity", "machine_id", "creation_timestamp", "payload_format_version"] as const;

/** The headers' formats, checked in this order; the first that fails names its header. */
const _headersSchema = v.object({
  record_format_version: v.pipe(v.string(), v.regex(/^\d+$/, "expected a number")),
  severity: v.pipe(v.string(), v.regex(/^[1-4]$/, "expected 1 to 4")),
  creation_timestamp: v.pipe(v.string(), v.regex(/^\d{1,12}$/, "expected unix seconds")),
  classification: v.pipe(v.string(), v.regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, "expected domain/probe/kind")),
  machine_id: v.pipe(v.string(), v.check((id) => toDeviceId(id) !== undefined, "expected letters, digits, '.', '_', '-' or ':'")),
});

/** A header in either spelling: `machine_id` or `Machine-Id` (HTTP header names are case-insensitive). */
function _header(headers: Headers, name: string): string | null {
  return headers.get(name) ?? headers.get(name.replaceAll("_", "-"));
}

export function parseTelemetrics(headers: Headers, body: string, { limits, nowS }: ParseOptions): IngestRecord[] {
  const meta: Record<string, string> = {};
  for (const name of TELEMETRICS_HEADERS) {
    const value = _header(headers, name);
    if (value !== null) meta[name] = value.slice(0, 256);
  }
  for (const name of _REQUIRED) if (!meta[name]) throw new HttpError(400, `header ${name} (or ${name.replaceAll("_", "-")}): required`);
  const checked = v.safeParse(_headersSchema, meta);
  if (!checked.success) throw new HttpError(400, `header ${issueText(checked.issues, "headers")}`);
  const machineDeviceId = toDeviceId(meta.machine_id)!;
  const unixTimestamp = Number(meta.creation_timestamp);
  checkNotFuture(unixTimestamp, nowS, limits, "header creation_timestamp");

  // A bagtower record as payload (bagtower's own telemetrics sink) brings its items, and its
  // deviceId: telemetrics' machine_id rotates every 3 days, which would make a new device each time.
  let data: Item[] = [];
  let payloadDeviceId: string | undefined;
  try {
    const parsed = v.safeParse(ingestRecordSchema, JSON.parse(body));
    if (parsed.success) {
      data = parsed.output.data;
      payloadDeviceId = parsed.output.deviceId;
    }
  } catch {
    // Any other payload (a crash report, a text probe) is stored as it came.
  }
  const deviceId = payloadDeviceId ?? machineDeviceId;
  data = data.filter((i) => i.id !== "telemetrics");
  checkCount(data.length + 1, limits.itemsPerRecord, "itemsPerRecord", "payload");
  data.push({ id: "telemetrics", type: "string", val: meta });
  return [
    foreignToIngest({
      deviceId,
      unixTimestamp,
      data: checkItems(data, "payload"),
      hostname: meta.system_name,
      agent: "telemetrics",
      recordId: meta.event_id ? contentId("telemetrics", deviceId, meta.event_id) : undefined,
      body,
    }),
  ];
}
