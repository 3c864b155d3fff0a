// Registry of the wire-format encoders of SPEC §7, keyed by the names config and `--format` use.
import { encodeDatadog } from "./datadog.ts";
import { encodeInflux } from "./influx.ts";
import { encodePattoo } from "./pattoo.ts";
import { encodePrometheus } from "./prometheus.ts";
import { encodeTelemetrics } from "./telemetrics.ts";
import type { Encoder } from "./types.ts";

export type { EncodeOptions, Encoded, Encoder } from "./types.ts";

export type WireFormat = "pattoo" | "datadog" | "influx" | "prometheus" | "telemetrics";

export const encoders: Record<WireFormat, Encoder> = {
  pattoo: encodePattoo,
  datadog: encodeDatadog,
  influx: encodeInflux,
  prometheus: encodePrometheus,
  telemetrics: encodeTelemetrics,
};
