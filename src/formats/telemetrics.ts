// Clear Linux telemetrics record (SPEC §7; telemetrics-client common.h header names, record format 4, seeds/003).
import type { BagtowerRecord } from "../record/schema.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

export const TELEMETRICS_CLASSIFICATION = "org.bagtower/device/health";
const _UNKNOWN = "unknown";
/** telemetrics-backend refuses board_name, cpu_model, bios_version and build of 200 characters or more. */
const _MAX_HEADER_VALUE = 199;

function _sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/**
 * The backend's character set for host_type/build-like values: telemetrics-client builds
 * host_type as `vendor|product|version`, hence the `|`. Everything else becomes `_`.
 */
export function sanitiseTelemetricsValue(text: string): string {
  const clean = text.trim().replace(/[^A-Za-z0-9|._-]/g, "_").slice(0, _MAX_HEADER_VALUE);
  return clean === "" ? _UNKNOWN : clean;
}

/** arch and kernel keep their characters (`6.6.31-v8+`); only what an HTTP header cannot carry goes. */
function _headerSafe(text: string | undefined): string {
  const clean = (text ?? "").trim().replace(/[^\x20-\x7e]/g, "_").slice(0, _MAX_HEADER_VALUE);
  return clean === "" ? _UNKNOWN : clean;
}

/** The `system` item's table (`{ kernel, os, arch, model }`), or an empty one. */
function _system(record: BagtowerRecord): Record<string, string> {
  for (const item of record.data) if (item.id === "system" && item.type === "string" && typeof item.val === "object") return item.val;
  return {};
}

/**
 * The 15 record headers of telemetrics record format 4, lowercase with underscores as
 * telemetrics-client writes them, plus X-Telemetry-TID. Header values are all strings.
 */
export function telemetricsHeaders(record: BagtowerRecord): Record<string, string> {
  const system = _system(record);
  const model = system.model === undefined ? _UNKNOWN : sanitiseTelemetricsValue(system.model);
  const os = system.os === undefined ? _UNKNOWN : sanitiseTelemetricsValue(system.os);
  return {
    record_format_version: "4",
    classification: TELEMETRICS_CLASSIFICATION,
    severity: "1",
    machine_id: record.meta.machineId,
    creation_timestamp: String(record.unixTimestamp),
    arch: _headerSafe(system.arch),
    host_type: model,
    build: os,
    kernel_version: _headerSafe(system.kernel),
    payload_format_version: "1",
    system_name: os,
    board_name: model,
    // Not read by bagtower; the backend only asks for a printable value.
    cpu_model: _UNKNOWN,
    bios_version: _UNKNOWN,
    // 32 lowercase hex characters, the backend's event_id shape; stable per record, so a retry
    // after a lost answer carries the same id.
    event_id: _sha256(record.meta.recordId).slice(0, 32),
    // bagtower's own TID, stable per machine. A stock telemetrics-backend accepts only the TID in
    // its config (TELEMETRY_ID), so a sink talking to one has to replace this header.
    "X-Telemetry-TID": `bagtower-${_sha256(record.meta.machineId).slice(0, 16)}`,
  };
}

/** One record → one telemetrics post; the backend stores one record (one set of headers) per request. */
export function encodeTelemetrics(records: BagtowerRecord[], _options: EncodeOptions): Encoded {
  if (records.length !== 1) throw new Error(`telemetrics takes exactly one record per request, got ${records.length}`);
  const record = records[0]!;
  return { body: JSON.stringify(record), contentType: "application/json", headers: telemetricsHeaders(record) };
}
