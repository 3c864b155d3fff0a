// Issue 15 §2: the pure halves of the mqtt sink: the record as Home Assistant discovery messages,
// and the sink's mqtt:// address.
import { describe, expect, test } from "bun:test";
import { encodeHomeAssistant, haObjectId, MAX_STATE_LENGTH, sensorClass } from "../../src/formats/home-assistant.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { newestPerDevice } from "../../src/sinks/mqtt.ts";
import { parseMqttSinkUrl } from "../../src/sinks/mqtt-url.ts";
import { renderTemplates, sensorConfigProblems } from "../helpers/home-assistant-schema.ts";
import { skipWithout } from "../helpers/prereq.ts";

const OPTIONS = { prefix: "bagtower", discoveryPrefix: "homeassistant", expireAfterS: 1200 };

function record(data: BagtowerRecord["data"], extra: Partial<BagtowerRecord> = {}): BagtowerRecord {
  return {
    deviceId: "dev-1",
    unixTimestamp: 1_800_000_000,
    UTCTimestamp: new Date(1_800_000_000_000).toISOString(),
    data,
    meta: { recordId: "rec-00000001", machineId: "m1", hostname: "host", bootId: "b", seq: 1, agent: "bagtower/0.1.0", tags: {}, errors: [] },
    ...extra,
  } as BagtowerRecord;
}

describe("haObjectId: what HA's discovery topic allows ([a-zA-Z0-9_-])", () => {
  for (const [input, expected] of [
    ["cpu", "cpu"],
    ["Pi.Kitchen:4", "pi_kitchen_4"],
    ["/", "root"],
    ["/boot/firmware", "boot_firmware"],
    ["cpu-thermal", "cpu-thermal"],
    ["a b\tc", "a_b_c"],
    ["+/#", ""],
    ["état", "tat"],
  ] as const) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => expect(haObjectId(input)).toBe(expected));
  }
});

describe("sensorClass: units and device classes HA accepts together", () => {
  for (const [type, key, expected] of [
    ["percent", "", { unit: "%", stateClass: "measurement" }],
    ["celsius", "cpu-thermal", { unit: "°C", deviceClass: "temperature", stateClass: "measurement" }],
    ["bytes", "total", { unit: "B", deviceClass: "data_size", stateClass: "measurement" }],
    ["dbm", "rssi_dbm", { unit: "dBm", deviceClass: "signal_strength", stateClass: "measurement" }],
    ["dbm", "signal_quality_percent", { unit: "%", stateClass: "measurement" }],
    ["mhz", "", { unit: "MHz", deviceClass: "frequency", stateClass: "measurement" }],
    ["seconds", "", { unit: "s", deviceClass: "duration", stateClass: "measurement" }],
    ["counter", "bytes_sent", { unit: "B", deviceClass: "data_size", stateClass: "total_increasing" }],
    ["counter", "mmcblk0_io_ms", { unit: "ms", deviceClass: "duration", stateClass: "total_increasing" }],
    ["counter", "packets_sent", { stateClass: "total_increasing" }],
    ["count", "", { stateClass: "measurement" }],
    ["number", "1m", { stateClass: "measurement" }],
  ] as const) {
    test(`${type} ${key}`, () => expect(sensorClass(type, key)).toEqual(expected as never));
  }
});

describe("encodeHomeAssistant", () => {
  test("a device id HA's topics cannot carry is cleaned; the device keeps its name", () => {
    const out = encodeHomeAssistant(record([{ id: "cpu", type: "percent", val: 12.5 }], { deviceId: "Pi.Kitchen:4" }), OPTIONS);
    expect(out.node).toBe("pi_kitchen_4");
    expect(out.state.topic).toBe("bagtower/pi_kitchen_4/state");
    expect(out.discovery[0]!.topic).toBe("homeassistant/sensor/pi_kitchen_4/cpu/config");
    const config = JSON.parse(out.discovery[0]!.payload);
    expect(config.device.name).toBe("Pi.Kitchen:4");
    expect(config.unique_id).toBe("bagtower_pi_kitchen_4_cpu");
    expect(out.discovery[0]!.retain).toBe(true);
    expect(out.state.retain).toBe(false);
  });

  const clashing = () =>
    encodeHomeAssistant(
      record([
        { id: "filesystems", type: "percent", val: { "/": 10, "/a.b": 20, "/a_b": 30, "/a b": 40 } },
        { id: "filesystems_root", type: "percent", val: 50 },
        { id: "labels", type: "string", val: { "+": "plus", "#": "hash" } },
      ]),
      OPTIONS,
    );

  test("keys that clean to the same object id stay apart, unique ids unique", () => {
    const out = clashing();
    const configs = out.discovery.map((m) => JSON.parse(m.payload));
    expect(new Set(configs.map((c) => c.unique_id)).size).toBe(configs.length);
    expect(new Set(out.discovery.map((m) => m.topic)).size).toBe(configs.length);
    expect(out.discovery.flatMap((m) => sensorConfigProblems(m.topic, m.payload))).toEqual([]);
    const state = JSON.parse(out.state.payload);
    expect(Object.keys(state)).toHaveLength(configs.length);
  });

  test.skipIf(skipWithout("jinja2"))("the value templates render the state's values with Jinja2, as HA renders them", () => {
    const out = clashing();
    const configs = out.discovery.map((m) => JSON.parse(m.payload));
    expect(renderTemplates(configs.map((c) => c.value_template), out.state.payload)).toEqual(["10", "20", "30", "40", "50", "plus", "hash"]);
    // A value missing from a push renders None, which HA shows as unknown.
    expect(renderTemplates([configs[0].value_template], "{}")).toEqual(["None"]);
  }, 30_000); // Python and Jinja2 start slowly on a loaded machine

  test("strings are cut to HA's 255-character state; ISO times are timestamp sensors", () => {
    const out = encodeHomeAssistant(record([{ id: "long", type: "string", val: "x".repeat(1000) }, { id: "last_boot", type: "string", val: "2026-03-14T14:32:01.000Z" }]), OPTIONS);
    const state = JSON.parse(out.state.payload);
    expect(state.long).toHaveLength(MAX_STATE_LENGTH);
    const boot = JSON.parse(out.discovery[1]!.payload);
    expect(boot.device_class).toBe("timestamp");
    expect(boot.unit_of_measurement).toBeUndefined();
    expect(boot.state_class).toBeUndefined();
  });

  test("expire_after is what the sink asks for", () => {
    const out = encodeHomeAssistant(record([{ id: "cpu", type: "percent", val: 1 }]), { ...OPTIONS, expireAfterS: 120 });
    expect(JSON.parse(out.discovery[0]!.payload).expire_after).toBe(120);
  });
});

test("newestPerDevice keeps each device's newest record", () => {
  const a1 = record([], { deviceId: "a", unixTimestamp: 1 });
  const a2 = record([], { deviceId: "a", unixTimestamp: 2 });
  const b1 = record([], { deviceId: "b", unixTimestamp: 1 });
  expect(newestPerDevice([a1, b1, a2])).toEqual([a2, b1]);
});

describe("parseMqttSinkUrl", () => {
  test("defaults: port 1883, 8883 for mqtts, prefix bagtower, discovery homeassistant", () => {
    expect(parseMqttSinkUrl("mqtt://broker")).toEqual({ host: "broker", port: 1883, tls: false, prefix: "bagtower", discoveryPrefix: "homeassistant" });
    expect(parseMqttSinkUrl("mqtts://broker/")).toMatchObject({ port: 8883, tls: true });
  });
  test("user and password are percent-decoded; the path is the prefix; ?discovery= the discovery prefix", () => {
    expect(parseMqttSinkUrl("mqtt://us%40er:p%3Ass@[::1]:1884/home/devices/?discovery=ha")).toEqual({
      host: "::1",
      port: 1884,
      tls: false,
      user: "us@er",
      password: "p:ss",
      prefix: "home/devices",
      discoveryPrefix: "ha",
    });
  });
  for (const [url, message] of [
    ["http://broker/x", "expected mqtt://"],
    ["mqtt://broker/a/+/b", "wildcards"],
    ["mqtt://broker/a/%2B", "wildcards"],
    ["mqtt://broker/a#", "wildcards"],
    ["mqtt://broker/$SYS", "belong to the broker"],
    ["mqtt://broker/x?retain=1", "unknown parameter ?retain="],
    ["mqtt://broker/x?discovery=", "is empty"],
    ["mqtt://broker/x?discovery=%23", "wildcards"],
    [`mqtt://broker/${"a".repeat(201)}`, "longer than 200 bytes"],
  ] as const) {
    test(`${url.slice(0, 60)}: ${message}`, () => expect(() => parseMqttSinkUrl(url)).toThrow(message));
  }
});
