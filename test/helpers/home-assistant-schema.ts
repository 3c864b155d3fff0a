import { DEBIAN_PYTHON3 } from "./prereq.ts";
// Home Assistant's MQTT discovery schema for a sensor, as documented (home-assistant.io/integrations/mqtt
// "Discovery messages" and /integrations/sensor.mqtt, the sensor device classes and their units at
// developers.home-assistant.io/docs/core/entity/sensor), as checks a test runs on what the broker holds.
// Templates are rendered with Jinja2, the engine HA's value_template is.

/** HA's discovery topic after `<discovery_prefix>/` (its TOPIC_MATCHER): <component>/[<node_id>/]<object_id>/config. */
export const DISCOVERY_TOPIC = /^(?<component>\w+)\/(?:(?<node>[a-zA-Z0-9_-]+)\/)?(?<object>[a-zA-Z0-9_-]+)\/config$/;

/** The units HA accepts per sensor device class (the ones a bagtower record can produce, and the rest listed as classes). */
const _UNITS: Record<string, string[] | null> = {
  temperature: ["°C", "°F", "K"],
  signal_strength: ["dB", "dBm"],
  data_size: ["bit", "kbit", "Mbit", "Gbit", "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"],
  duration: ["d", "h", "min", "s", "ms", "μs"],
  frequency: ["Hz", "kHz", "MHz", "GHz"],
  timestamp: null,
};

const _STATE_CLASSES: Record<string, string[]> = {
  temperature: ["measurement"],
  signal_strength: ["measurement"],
  frequency: ["measurement"],
  duration: ["measurement", "total", "total_increasing"],
  data_size: ["measurement", "total", "total_increasing"],
  timestamp: [],
};

const _KNOWN_KEYS = new Set([
  "name", "unique_id", "object_id", "default_entity_id", "state_topic", "value_template", "unit_of_measurement", "device_class", "state_class",
  "expire_after", "force_update", "device", "origin", "availability", "availability_topic", "availability_mode", "json_attributes_topic",
  "json_attributes_template", "suggested_display_precision", "entity_category", "icon", "enabled_by_default", "qos", "encoding", "platform",
]);

export interface DiscoveryProblem {
  topic: string;
  problem: string;
}

/** Everything wrong with one retained sensor config; an empty list when HA would accept it. */
export function sensorConfigProblems(topic: string, payload: string, discoveryPrefix = "homeassistant"): string[] {
  const out: string[] = [];
  const match = topic.startsWith(`${discoveryPrefix}/`) ? DISCOVERY_TOPIC.exec(topic.slice(discoveryPrefix.length + 1)) : null;
  if (!match) out.push("topic does not match <prefix>/<component>/[<node_id>/]<object_id>/config");
  else if (match.groups!.component !== "sensor") out.push(`component ${match.groups!.component}, expected sensor`);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(payload);
  } catch {
    return [...out, "payload is not JSON"];
  }
  for (const key of Object.keys(config)) if (!_KNOWN_KEYS.has(key)) out.push(`unknown key ${key}`);
  const str = (key: string, required = false) => {
    if (config[key] === undefined) {
      if (required) out.push(`${key} missing`);
    } else if (typeof config[key] !== "string" || config[key] === "") out.push(`${key} is not a non-empty string`);
  };
  str("state_topic", true);
  str("unique_id", true);
  str("name", true);
  str("value_template");
  str("unit_of_measurement");
  if (typeof config.state_topic === "string" && /[+#]/.test(config.state_topic)) out.push("state_topic has a wildcard");
  const deviceClass = config.device_class as string | undefined;
  if (deviceClass !== undefined) {
    if (!(deviceClass in _UNITS)) out.push(`device_class ${deviceClass} not one a bagtower sensor may use`);
    const units = _UNITS[deviceClass];
    const unit = config.unit_of_measurement as string | undefined;
    if (units === null && unit !== undefined) out.push(`${deviceClass} takes no unit`);
    if (units && (unit === undefined || !units.includes(unit))) out.push(`unit ${unit} not allowed for ${deviceClass}`);
    const stateClass = config.state_class as string | undefined;
    if (stateClass !== undefined && !(_STATE_CLASSES[deviceClass] ?? []).includes(stateClass)) out.push(`state_class ${stateClass} not allowed for ${deviceClass}`);
  }
  if (config.state_class !== undefined && !["measurement", "total", "total_increasing"].includes(config.state_class as string)) out.push(`state_class ${config.state_class}`);
  if (config.expire_after !== undefined && !(Number.isInteger(config.expire_after) && (config.expire_after as number) > 0)) out.push("expire_after is not a positive whole number");
  const device = config.device as Record<string, unknown> | undefined;
  if (device !== undefined) {
    if (!Array.isArray(device.identifiers) || device.identifiers.length === 0 || !device.identifiers.every((i) => typeof i === "string")) out.push("device.identifiers is not a list of strings");
    for (const key of ["name", "model", "manufacturer", "sw_version", "hw_version"]) if (device[key] !== undefined && typeof device[key] !== "string") out.push(`device.${key} is not a string`);
  }
  const origin = config.origin as Record<string, unknown> | undefined;
  if (origin !== undefined && typeof origin.name !== "string") out.push("origin.name missing");
  return out;
}

/** Renders each template with Jinja2 (as HA does) for `value_json` = the state payload parsed. */
export function renderTemplates(templates: string[], statePayload: string): string[] {
  const script = "import json,sys,jinja2\nd=json.loads(sys.argv[1])\nv=json.loads(d['state'])\nprint(json.dumps([jinja2.Environment().from_string(t).render(value_json=v) for t in d['templates']]))";
  const run = Bun.spawnSync([DEBIAN_PYTHON3, "-c", script, JSON.stringify({ templates, state: statePayload })], { stdin: "ignore", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`jinja2: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString());
}
