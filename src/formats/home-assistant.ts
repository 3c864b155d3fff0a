/**
 * A record as Home Assistant's MQTT discovery reads it (home-assistant.io/integrations/mqtt,
 * "MQTT Discovery", and /integrations/sensor.mqtt): one JSON state message per device on
 * `<prefix>/<node>/state`, and per value one retained sensor config on
 * `<discovery>/sensor/<node>/<object>/config` whose value_template picks its key out of that JSON
 * (the layout Zigbee2MQTT and ESPHome users already have: one message per device and push, not one
 * per value). Pure: the sink does the publishing and decides when configs need publishing again.
 */
import { numericPoints } from "./flatten.ts";
import type { BagtowerRecord, ItemType } from "../record/schema.ts";

export interface HomeAssistantOptions {
  /** Topic levels before `<node>/state`. */
  prefix: string;
  discoveryPrefix: string;
  /** Twice the push period: a device that stops pushing shows unavailable instead of its last value. */
  expireAfterS: number;
}

export interface MqttMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface HomeAssistantRecord {
  /** The device's node id in the discovery topics. */
  node: string;
  state: MqttMessage;
  /** One retained config per sensor, in record order. */
  discovery: MqttMessage[];
}

/** HA's state is at most 255 characters; a longer one is refused and the sensor shows unknown. */
export const MAX_STATE_LENGTH = 255;

/**
 * HA's discovery topic pattern allows `[a-zA-Z0-9_-]` in node and object ids: anything else
 * becomes `_`, lower case as entity ids are; a mount point `/` reads as `root`.
 */
export function haObjectId(text: string): string {
  if (text === "/") return "root";
  return text.toLowerCase().replace(/[^a-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");
}

interface _Sensor {
  /** HA's unit_of_measurement, device_class and state_class; absent when none fits. */
  unit?: string;
  deviceClass?: string;
  stateClass?: "measurement" | "total_increasing";
}

/**
 * Units and device classes HA accepts together (its SensorDeviceClass table): °C for temperature,
 * dBm for signal_strength, B for data_size (HA converts to MiB/GiB for display), s for duration,
 * MHz for frequency. A key that names its unit (`signal_quality_percent`, `rssi_dbm`) wins over the
 * item's type; counters are total_increasing so a reboot's reset starts a new cycle in statistics.
 */
export function sensorClass(type: Exclude<ItemType, "string">, key = ""): _Sensor {
  if (/(^|_)percent$/.test(key)) return { unit: "%", stateClass: "measurement" };
  if (/(^|_)dbm$/.test(key)) return { unit: "dBm", deviceClass: "signal_strength", stateClass: "measurement" };
  // disk_io's io_ms: milliseconds spent, a counter.
  if (/(^|_)ms$/.test(key)) return { unit: "ms", deviceClass: "duration", stateClass: type === "counter" ? "total_increasing" : "measurement" };
  switch (type) {
    case "percent":
      return { unit: "%", stateClass: "measurement" };
    case "celsius":
      return { unit: "°C", deviceClass: "temperature", stateClass: "measurement" };
    case "bytes":
      return { unit: "B", deviceClass: "data_size", stateClass: "measurement" };
    case "dbm":
      return { unit: "dBm", deviceClass: "signal_strength", stateClass: "measurement" };
    case "mhz":
      return { unit: "MHz", deviceClass: "frequency", stateClass: "measurement" };
    case "seconds":
      return { unit: "s", deviceClass: "duration", stateClass: "measurement" };
    case "counter":
      return /bytes/.test(key) ? { unit: "B", deviceClass: "data_size", stateClass: "total_increasing" } : { stateClass: "total_increasing" };
    case "count":
    case "number":
      return { stateClass: "measurement" };
  }
}

const _ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

interface _Value {
  id: string;
  key?: string;
  name: string;
  raw: string;
  value: number | string;
  sensor: _Sensor;
}

function _values(record: BagtowerRecord): _Value[] {
  const out: _Value[] = [];
  for (const point of numericPoints(record)) {
    out.push({ id: point.id, key: point.key, name: point.key === undefined ? point.id : `${point.id} ${point.key}`, raw: `${point.id}\u0000${point.key ?? ""}`, value: point.value, sensor: sensorClass(point.type, point.key) });
  }
  for (const item of record.data) {
    if (item.type !== "string") continue;
    const entries: [string | undefined, string][] = typeof item.val === "string" ? [[undefined, item.val]] : Object.entries(item.val);
    for (const [key, text] of entries) {
      // A time (last_boot) is a timestamp sensor: HA shows "3 days ago" and keeps it out of statistics.
      const sensor: _Sensor = _ISO_TIME.test(text) ? { deviceClass: "timestamp" } : {};
      out.push({ id: item.id, key, name: key === undefined ? item.id : `${item.id} ${key}`, raw: `${item.id}\u0000${key ?? ""}`, value: text.slice(0, MAX_STATE_LENGTH), sensor });
    }
  }
  return out;
}

/** Object ids unique within the device: a second value that cleans to the same id gets 6 hex of its raw name. */
function _objectIds(values: _Value[]): string[] {
  const seen = new Set<string>();
  return values.map((v) => {
    const parts = [haObjectId(v.id), ...(v.key === undefined ? [] : [haObjectId(v.key)])].filter(Boolean);
    let id = parts.join("_") || "value";
    if (seen.has(id)) id = `${id}_${new Bun.CryptoHasher("sha256").update(v.raw).digest("hex").slice(0, 6)}`;
    seen.add(id);
    return id;
  });
}

function _stringItem(record: BagtowerRecord, id: string, key: string): string | undefined {
  const item = record.data.find((i) => i.id === id && i.type === "string");
  const val = item?.val;
  return typeof val === "object" && val !== null ? (val as Record<string, string>)[key] : undefined;
}

export function encodeHomeAssistant(record: BagtowerRecord, options: HomeAssistantOptions): HomeAssistantRecord {
  const deviceName = record.deviceId ?? record.meta.hostname;
  const node = haObjectId(deviceName) || haObjectId(record.meta.machineId);
  const stateTopic = `${options.prefix}/${node}/state`;
  const values = _values(record);
  const ids = _objectIds(values);
  const model = _stringItem(record, "system", "model") ?? _stringItem(record, "system", "os");
  const device = {
    identifiers: [`bagtower_${node}`],
    name: deviceName,
    ...(model ? { model } : {}),
    sw_version: record.meta.agent,
  };
  const state: Record<string, number | string> = {};
  const discovery = values.map((value, index) => {
    const objectId = ids[index]!;
    state[objectId] = value.value;
    const config = {
      name: value.name,
      unique_id: `bagtower_${node}_${objectId}`,
      state_topic: stateTopic,
      // `default(None)`: a value missing from a push (its item failed) renders "None", which HA shows as unknown.
      value_template: `{{ value_json['${objectId}'] | default(None) }}`,
      ...(value.sensor.unit ? { unit_of_measurement: value.sensor.unit } : {}),
      ...(value.sensor.deviceClass ? { device_class: value.sensor.deviceClass } : {}),
      ...(value.sensor.stateClass ? { state_class: value.sensor.stateClass } : {}),
      expire_after: options.expireAfterS,
      device,
      origin: { name: "bagtower", sw_version: record.meta.agent },
    };
    return { topic: `${options.discoveryPrefix}/sensor/${node}/${objectId}/config`, payload: JSON.stringify(config), retain: true };
  });
  // States are not retained: HA's docs advise against it with expire_after (a broker would replay a
  // stale value as fresh after HA restarts; HA restores the state itself).
  return { node, state: { topic: stateTopic, payload: JSON.stringify(state), retain: false }, discovery };
}
