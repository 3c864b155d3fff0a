// The telemetrics parsers apart from HTTP: telemetrics-client 2.4's v3 JSON body, the form
// detection, and the device facts the encoder's fields come from.
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { firstLine, parseCpuModel } from "../../src/collect/host-facts.ts";
import { runCollect } from "../../src/collect/run.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { telemetricsFields } from "../../src/formats/telemetrics.ts";
import { parseTelemetrics } from "../../src/serve/ingest/telemetrics.ts";
import { isTelemetricsJson, parseTelemetricsJson } from "../../src/serve/ingest/telemetrics-json.ts";
import { DEFAULT_LIMITS } from "../../src/serve/limits.ts";
import { FIXTURES, testContext, type TestContext } from "../helpers/context.ts";

const FIELDS = { record_format_version: "4", classification: "a/b/c", severity: "2", machine_id: "m1", creation_timestamp: "1795400000", payload_format_version: "1" };
const OPTIONS = { limits: DEFAULT_LIMITS, nowS: 1795400000 };

describe("parseTelemetricsJson", () => {
  test("the fields present and the payload; unknown members ignored", () => {
    expect(parseTelemetricsJson(JSON.stringify({ ...FIELDS, payload: "p", extra: 1 }))).toEqual({ fields: FIELDS, payload: "p" });
  });

  test.each([
    ["not JSON", "{", "body is not valid JSON"],
    ["null", "null", "body: expected a JSON object of record fields and a payload"],
    ["an array", "[]", "body: expected a JSON object of record fields and a payload"],
    ["a string", '"x"', "body: expected a JSON object of record fields and a payload"],
    ["a number field", JSON.stringify({ ...FIELDS, severity: 2, payload: "p" }), "field severity: expected a string, got 2"],
    ["a null field", JSON.stringify({ ...FIELDS, arch: null, payload: "p" }), "field arch: expected a string, got null"],
    ["no payload", JSON.stringify(FIELDS), "field payload: expected the payload as a string"],
    ["a payload object", JSON.stringify({ ...FIELDS, payload: {} }), "field payload: expected the payload as a string"],
  ])("%s → 400", (_, body, message) => {
    expect(() => parseTelemetricsJson(body)).toThrow(message);
  });
});

describe("isTelemetricsJson", () => {
  test.each([
    [{ "content-type": "application/json" }, "{}", true],
    [{ "content-type": "application/json; charset=utf-8" }, "", true],
    [{ "content-type": "application/x-www-form-urlencoded" }, ' {"a":1}', true],
    [{ "content-type": "application/text" }, "hello", false],
    // bagtower's own v2 sink: headers and a JSON record as the body.
    [{ "content-type": "application/json", record_format_version: "4" }, "{}", false],
    [{ "content-type": "application/json", "Record-Format-Version": "4" }, "{}", false],
  ])("%j %j → %p", (headers, body, expected) => {
    expect(isTelemetricsJson(new Headers(headers), body)).toBe(expected);
  });
});

describe("parseTelemetrics, either form", () => {
  const v3 = (change: Record<string, unknown> = {}) => parseTelemetrics(new Headers({ "content-type": "application/json" }), JSON.stringify({ ...FIELDS, payload: "hello", ...change }), OPTIONS);

  test("a v3 body: the fields as the telemetrics item, values trimmed, the payload as the stored payload", () => {
    const [record] = v3({ arch: "x86_64\n" });
    expect(record!.deviceId).toBe("m1");
    expect(record!.data).toEqual([{ id: "telemetrics", type: "string", val: { ...FIELDS, arch: "x86_64" } }]);
    expect(record!.payload).toBe("hello");
  });

  test("a bad value names its field, in the headers' one message shape", () => {
    expect(() => v3({ severity: "9" })).toThrow('field severity: expected 1 to 4, got "9"');
    expect(() => v3({ machine_id: undefined })).toThrow("field machine_id: required");
  });

  test("no header and no JSON body: the message names both forms", () => {
    expect(() => parseTelemetrics(new Headers({ "content-type": "text/plain" }), "hello", OPTIONS)).toThrow(
      "header record_format_version (or record-format-version) required, or a telemetrics-client 2.4 JSON body with Content-Type: application/json",
    );
  });

  test("the same record in both forms is the same record id (event_id), so a resend in the other form is a duplicate", () => {
    const event = { event_id: "0123456789abcdef0123456789abcdef" };
    const [json] = v3(event);
    const [headers] = parseTelemetrics(new Headers({ ...FIELDS, ...event }), "hello", OPTIONS);
    expect(json!.recordId).toBe(headers!.recordId!);
  });
});

describe("host facts parsers", () => {
  test.each([
    ["x86", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 140\nmodel name\t: 11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz\nstepping\t: 1\n", "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz"],
    ["32-bit ARM", "processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\nBogoMIPS\t: 38.40\n", "ARMv7 Processor rev 4 (v7l)"],
    ["the first of several", "model name\t: A\n\nmodel name\t: B\n", "A"],
    ["an empty value", "model name\t:\n", ""],
    ["arm64: none (the Pi's `Model` line is not one)", "processor\t: 0\nCPU part\t: 0xd08\n\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n", undefined],
    ["empty", "", undefined],
  ])("parseCpuModel: %s", (_, text, expected) => {
    expect(parseCpuModel(text)).toBe(expected);
  });

  test.each([
    ["Raspberry Pi 4 Model B Rev 1.4\0", "Raspberry Pi 4 Model B Rev 1.4"],
    ["Dell Inc.          \n", "Dell Inc."],
    ["   \n", ""],
    ["a\nb\n", "a"],
    [undefined, undefined],
  ])("firstLine(%j) → %j", (text, expected) => {
    expect(firstLine(text)).toBe(expected);
  });
});

describe("host facts over a fixture tree", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());

  test("a Jetson: the device-tree model from /sys/firmware/devicetree (no /proc/device-tree, no DMI), os-release, cpuinfo", async () => {
    t = testContext({ now: () => 1_800_000_000_000 });
    const config = resolveConfig({ collect: { rootfs: join(FIXTURES, "jetson-orin") }, items: { only: ["uptime"] } }, "test", []);
    const record = await runCollect(t.ctx, config);
    expect(record.meta.host).toEqual({ osId: "ubuntu", osVersionId: "22.04", cpuModel: "ARMv8 Processor rev 1 (v8l)", deviceTreeModel: "NVIDIA Jetson Orin Nano Developer Kit" });
    expect(telemetricsFields(record)).toMatchObject({
      host_type: "no_sv_file|NVIDIA Jetson Orin Nano Developer Kit|no_pvr_file",
      board_name: "NVIDIA Jetson Orin Nano Developer Kit|no_bv_file",
      system_name: "ubuntu",
      build: "22.04",
      cpu_model: "ARMv8 Processor rev 1 (v8l)",
      bios_version: "no_bv_file",
    });
  });
});
