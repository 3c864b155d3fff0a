// One sink of config.json (sinks[], and serve.forward[]): where records go and in which format.
import * as v from "valibot";
import { parseMqttSinkUrl } from "../sinks/mqtt-url.ts";
import { textField, UNKNOWN_FIELD } from "./fields.ts";
import { SINK_FORMATS } from "./sink-formats.ts";

const _sinkFields = v.strictObject(
  {
    name: v.pipe(v.string("expected a string"), v.regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1–64 letters, digits, '_' or '-'")),
    format: v.picklist(SINK_FORMATS, `expected one of ${SINK_FORMATS.join(", ")}`),
    url: v.pipe(v.string("expected a URL"), v.url("expected an http(s) URL"), v.regex(/^(https?|mqtts?):\/\//i, "expected an http(s) URL (mqtt:// or mqtts:// for format mqtt)")),
    apiKey: v.optional(textField("a non-empty API key")),
    headers: v.optional(v.record(v.string(), v.string(), "expected an object of header strings")),
    database: v.optional(textField("a database name")),
    org: v.optional(textField("an organisation name")),
    bucket: v.optional(textField("a bucket name")),
    /** The telemetrics form: 3, a JSON body (telemetrics-client 2.4 and later); 2, headers (older backends). */
    telemetricsVersion: v.optional(v.picklist([2, 3], "expected 2 or 3")),
    // mqtts:// brokers: trusted certificates (PEM) besides the system's, e.g. a self-signed broker's.
    caFile: v.optional(textField("a path to a PEM file")),
  },
  UNKNOWN_FIELD,
);

/** An mqtt sink has an mqtt(s):// URL with a topic prefix it may publish to; every other format an http(s) one. */
function _sinkUrlProblem(sink: v.InferOutput<typeof _sinkFields>): string | undefined {
  const mqttUrl = /^mqtts?:\/\//i.test(sink.url);
  if (sink.format !== "mqtt") return mqttUrl ? `format ${sink.format} needs an http(s) URL; for an MQTT broker use format mqtt` : undefined;
  try {
    parseMqttSinkUrl(sink.url);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export const sinkSchema = v.pipe(
  _sinkFields,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = _sinkUrlProblem(dataset.value);
    if (problem) addIssue({ message: problem, path: [{ type: "object", origin: "value", input: dataset.value, key: "url", value: dataset.value.url }] });
  }),
);
