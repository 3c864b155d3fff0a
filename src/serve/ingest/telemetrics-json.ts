// telemetrics-client 2.4 and later (telempostdaemon.c create_json_message, "the new v3 API"): no
// record headers; one JSON object with the 15 header fields as strings and the payload as a string,
// Content-Type application/json, X-Telemetry-TID as the only custom header.
import * as v from "valibot";
import { issueText } from "../../issue-text.ts";
import { HttpError } from "../http-errors.ts";
import { parseJson } from "../limits.ts";

/**
 * telemetrics-client's 15 record fields (common.h), in its order: HTTP headers before 2.4, members
 * of the JSON body since. Other members are ignored, as the backend ignores unknown headers.
 */
export const TELEMETRICS_FIELDS = [
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

const _field = v.optional(v.string("expected a string"));
const _fieldsSchema = v.object(Object.fromEntries(TELEMETRICS_FIELDS.map((name) => [name, _field])) as Record<(typeof TELEMETRICS_FIELDS)[number], typeof _field>);

export interface TelemetricsFields {
  /** Header name → value, for the fields present. */
  fields: Record<string, string>;
  payload: string;
}

/**
 * Whether a request is the v3 form: no record_format_version header, and a JSON body by its
 * Content-Type or by its first character (`curl -d` says x-www-form-urlencoded).
 */
export function isTelemetricsJson(headers: Headers, body: string): boolean {
  if (headers.has("record_format_version") || headers.has("record-format-version")) return false;
  return /^application\/json\b/i.test(headers.get("content-type") ?? "") || body.trimStart().startsWith("{");
}

/** A v3 body → its fields and payload; a body that is not one is a 400 naming the first bad member. */
export function parseTelemetricsJson(body: string): TelemetricsFields {
  const json = parseJson(body);
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new HttpError(400, "body: expected a JSON object of record fields and a payload");
  const parsed = v.safeParse(_fieldsSchema, json);
  if (!parsed.success) throw new HttpError(400, `field ${issueText(parsed.issues, "body")}`);
  const payload = (json as { payload?: unknown }).payload;
  if (typeof payload !== "string") throw new HttpError(400, "field payload: expected the payload as a string");
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.output)) if (value !== undefined) fields[name] = value;
  return { fields, payload };
}
