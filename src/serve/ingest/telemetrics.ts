// telemetrics-backend's collector: POST / and /v2/collector with the record's metadata in headers
// (telemetrics-client sends record_format_version …; proxies may turn them into
// Record-Format-Version …: both are read) and the payload as the body, stored as sent. A payload
// that is a bagtower record also feeds the device's items.
import * as v from "valibot";
import { toDeviceId } from "../../record/device-id-rules.ts";
import type { Item } from "../../record/schema.ts";
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
  if (!/^\d+$/.test(meta.record_format_version!)) throw new HttpError(400, "header record_format_version: expected a number");
  if (!/^[1-4]$/.test(meta.severity!)) throw new HttpError(400, "header severity: expected 1 to 4");
  if (!/^\d{1,12}$/.test(meta.creation_timestamp!)) throw new HttpError(400, "header creation_timestamp: expected unix seconds");
  if (!/^[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(meta.classification!)) throw new HttpError(400, "header classification: expected domain/probe/kind");
  const machineDeviceId = toDeviceId(meta.machine_id);
  if (!machineDeviceId) throw new HttpError(400, "header machine_id: expected letters, digits, '.', '_', '-' or ':'");
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
