// telemetrics-backend's collector: POST /, /v2/collector or /v3/collector, in either of
// telemetrics-client's forms: before 2.4 the record's fields in headers (record_format_version …;
// proxies may turn them into Record-Format-Version …: both are read) and the payload as the body;
// since 2.4 one JSON body with the fields and the payload (telemetrics-json.ts). The payload is
// stored as sent; one that is a bagtower record also feeds the device's items.
import * as v from "valibot";
import { toDeviceId } from "../../record/device-id-rules.ts";
import type { Item } from "../../record/schema.ts";
import { issueText } from "../../issue-text.ts";
import { HttpError } from "../http-errors.ts";
import { checkCount, checkNotFuture } from "../limits.ts";
import type { IngestRecord } from "../store.ts";
import { ingestRecordSchema } from "./bagtower.ts";
import { checkItems, contentId, foreignToIngest, type ParseOptions } from "./normalize.ts";
import { isTelemetricsJson, parseTelemetricsJson, TELEMETRICS_FIELDS } from "./telemetrics-json.ts";

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

/** The record fields the headers carry, in either spelling. */
function _headerFields(headers: Headers): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const name of TELEMETRICS_FIELDS) {
    const value = _header(headers, name);
    if (value !== null) fields[name] = value;
  }
  return fields;
}

export function parseTelemetrics(headers: Headers, body: string, options: ParseOptions): IngestRecord[] {
  if (isTelemetricsJson(headers, body)) {
    const { fields, payload } = parseTelemetricsJson(body);
    return _toIngest(fields, payload, "field", (name) => `field ${name}: required`, options);
  }
  const missing = (name: string) =>
    name === "record_format_version"
      ? "header record_format_version (or record-format-version) required, or a telemetrics-client 2.4 JSON body with Content-Type: application/json"
      : `header ${name} (or ${name.replaceAll("_", "-")}): required`;
  return _toIngest(_headerFields(headers), body, "header", missing, options);
}

/** One telemetrics record, whichever form brought its fields (`where`: "header" or "field", for messages). */
function _toIngest(fields: Record<string, string>, body: string, where: string, missing: (name: string) => string, { limits, nowS }: ParseOptions): IngestRecord[] {
  const meta: Record<string, string> = {};
  // telemetrics-client's spool lines may keep a trailing newline in a value: it is not part of it.
  for (const [name, value] of Object.entries(fields)) meta[name] = value.trim().slice(0, 256);
  for (const name of _REQUIRED) if (!meta[name]) throw new HttpError(400, missing(name));
  const checked = v.safeParse(_headersSchema, meta);
  if (!checked.success) throw new HttpError(400, `${where} ${issueText(checked.issues, "headers")}`);
  const machineDeviceId = toDeviceId(meta.machine_id)!;
  const unixTimestamp = Number(meta.creation_timestamp);
  checkNotFuture(unixTimestamp, nowS, limits, `${where} creation_timestamp`);

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
