// Clear Linux telemetrics record (SPEC §7; telemetrics-client common.h field names, record format 4,
// seeds/003), in either of the client's forms: v3 (telemetrics-client 2.4 and later) one JSON body
// of the fields and the payload; v2 the fields as HTTP headers and the payload as the body.
import type { BagtowerRecord } from "../record/schema.ts";
import type { EncodeOptions, Encoded } from "./types.ts";

export const TELEMETRICS_CLASSIFICATION = "org.bagtower/device/health";
const _UNKNOWN = "unknown";
/** telemetrics-backend refuses board_name, cpu_model, bios_version and build of 200 characters or more. */
const _MAX_VALUE = 199;

function _sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/** The backend takes printable ASCII; only what an HTTP header cannot carry goes (`6.6.31-v8+` stays). */
function _printable(text: string | undefined): string {
  const clean = (text ?? "").trim().replace(/[^\x20-\x7e]/g, "_").slice(0, _MAX_VALUE);
  return clean === "" ? _UNKNOWN : clean;
}

/** The `system` item's table (`{ kernel, os, arch, model }`), or an empty one. */
function _system(record: BagtowerRecord): Record<string, string> {
  for (const item of record.data) if (item.id === "system" && item.type === "string" && typeof item.val === "object") return item.val;
  return {};
}

/** A DMI value as telemetrics-client's get_dmi_value writes it: `no_<key>_file` when missing, `blank` when empty. */
function _dmi(value: string | undefined, key: string): string {
  if (value === undefined) return `no_${key}_file`;
  return value.trim() === "" ? "blank" : value;
}

/**
 * The device fields, from meta.host as telemetrics-client fills them (telemetry.c): system_name
 * os-release ID (`ID_VARIANT_ID` with a variant), build VERSION_ID (0 without), host_type
 * `sys_vendor|product_name|product_version`, board_name `board_name|board_vendor`, bios_version,
 * cpu_model (`blank` without a `model name`). A board without DMI (Raspberry Pi, Jetson) has its
 * device-tree model in the product and board name slots. A record without meta.host (one spooled by
 * an older agent, or a sketch's, forwarded) has only its system item's model.
 */
function _deviceFields(record: BagtowerRecord): Record<"host_type" | "build" | "system_name" | "board_name" | "cpu_model" | "bios_version", string> {
  const host = record.meta.host;
  if (!host) {
    const model = _system(record).model;
    return { host_type: _printable(model), build: _UNKNOWN, system_name: _UNKNOWN, board_name: _printable(model), cpu_model: _UNKNOWN, bios_version: _UNKNOWN };
  }
  const tree = host.deviceTreeModel?.trim() || undefined;
  const noDmi = host.sysVendor === undefined && host.productName === undefined && host.productVersion === undefined;
  const noBoard = host.boardName === undefined && host.boardVendor === undefined;
  const osId = host.osId?.trim() || undefined;
  return {
    host_type: _printable(tree && noDmi ? `no_sv_file|${tree}|no_pvr_file` : `${_dmi(host.sysVendor, "sv")}|${_dmi(host.productName, "pn")}|${_dmi(host.productVersion, "pvr")}`),
    build: _printable(host.osVersionId?.trim() || "0"),
    system_name: _printable(osId === undefined ? _UNKNOWN : host.osVariantId?.trim() ? `${osId}_${host.osVariantId.trim()}` : osId),
    board_name: _printable(tree && noBoard ? `${tree}|no_bv_file` : `${_dmi(host.boardName, "bn")}|${_dmi(host.boardVendor, "bv")}`),
    cpu_model: _printable(host.cpuModel?.trim() || "blank"),
    bios_version: _printable(_dmi(host.biosVersion, "bv")),
  };
}

/** The 15 record fields of telemetrics record format 4, named and ordered as telemetrics-client writes them; all strings. */
export function telemetricsFields(record: BagtowerRecord): Record<string, string> {
  const system = _system(record);
  const device = _deviceFields(record);
  return {
    record_format_version: "4",
    classification: TELEMETRICS_CLASSIFICATION,
    severity: "1",
    machine_id: record.meta.machineId,
    creation_timestamp: String(record.unixTimestamp),
    arch: _printable(system.arch),
    host_type: device.host_type,
    build: device.build,
    kernel_version: _printable(system.kernel),
    payload_format_version: "1",
    system_name: device.system_name,
    board_name: device.board_name,
    cpu_model: device.cpu_model,
    bios_version: device.bios_version,
    // 32 lowercase hex characters, the backend's event_id shape; stable per record, so a retry
    // after a lost answer carries the same id.
    event_id: _sha256(record.meta.recordId).slice(0, 32),
  };
}

/**
 * bagtower's own TID, stable per machine. A stock telemetrics-backend accepts only the TID in its
 * config (TELEMETRY_ID), so a sink talking to one has to replace it (the sink's apiKey does).
 */
function _tid(record: BagtowerRecord): string {
  return `bagtower-${_sha256(record.meta.machineId).slice(0, 16)}`;
}

/**
 * One record → one telemetrics post (the backend stores one record per request). The payload is
 * the bagtower record as JSON, which bagtower serve reads back into items.
 */
export function encodeTelemetrics(records: BagtowerRecord[], options: EncodeOptions): Encoded {
  if (records.length !== 1) throw new Error(`telemetrics takes exactly one record per request, got ${records.length}`);
  const record = records[0]!;
  const fields = telemetricsFields(record);
  if (options.telemetricsVersion === 2) return { body: JSON.stringify(record), contentType: "application/json", headers: { ...fields, "X-Telemetry-TID": _tid(record) } };
  return { body: JSON.stringify({ ...fields, payload: JSON.stringify(record) }), contentType: "application/json", headers: { "X-Telemetry-TID": _tid(record) } };
}
