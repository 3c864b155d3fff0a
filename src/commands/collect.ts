import { globalArgs } from "../argv.ts";
import { runCollect, parseSetOption } from "../collect/run.ts";
import { loadConfig, splitList } from "../config/load.ts";
import type { ConfigOverride } from "../config/override.ts";
import type { Config } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { parseDuration } from "../duration.ts";
import type { BagtowerRecord, Item } from "../record/schema.ts";
import type { EncodeOptions } from "../formats/types.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { UnknownItemError } from "../collect/selection.ts";
import { runningLong } from "../jit.ts";
import { defineBagtowerCommand } from "./_shared.ts";

export const COLLECT_FORMATS = ["json", "pretty", "ndjson", "pattoo", "datadog", "influx", "prometheus", "remote_write", "telemetrics", "mqtt"] as const;
export type CollectFormat = (typeof COLLECT_FORMATS)[number];

/** Turns a record into the text `collect` prints (bytes for remote_write). */
export type RecordRenderer = (record: BagtowerRecord) => string | Uint8Array;

/**
 * The record as text. Wire formats use the same encoders as push, so `--format prometheus` is a
 * node_exporter textfile and `--format influx` line protocol for an exec input. telemetrics prints
 * its record headers, a blank line, then the body, like an HTTP message; remote_write the binary
 * request body itself (the command refuses it on a terminal). The encoders and the sink
 * state their options come from are loaded only for a wire format: JSON, the common case, needs neither.
 */
export async function recordRenderer(ctx: Context, config: Config, format: CollectFormat): Promise<RecordRenderer> {
  if (format === "json" || format === "ndjson") return (record) => `${JSON.stringify(record)}\n`;
  if (format === "pretty") return (record) => `${JSON.stringify(record, null, 2)}\n`;
  if (format === "remote_write") {
    // The request body a remote-write sink sends, byte for byte: `| curl --data-binary @-` posts it.
    const { remoteWriteBody } = await import("../formats/remote-write.ts");
    return (record) => remoteWriteBody([record]);
  }
  const [{ encoders }, { encodeOptions }] = await Promise.all([import("../formats/index.ts"), import("../deliver/encode-options.ts")]);
  const options: EncodeOptions = encodeOptions(ctx, config);
  if (format === "mqtt") {
    // What the mqtt sink would publish with its defaults, as `mosquitto_sub -v` prints it: topic, space, payload.
    const { homeAssistantLines } = await import("../sinks/mqtt-preview.ts");
    return (record) => homeAssistantLines(ctx, record, options);
  }
  if (format === "telemetrics") {
    return (record) => {
      const encoded = encoders.telemetrics([record], options);
      return `${Object.entries(encoded.headers).map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${encoded.body}\n`;
    };
  }
  return (record) => {
    const body = encoders[format]([record], options).body;
    return body.endsWith("\n") ? body : `${body}\n`;
  };
}

export interface CollectOptions {
  render: RecordRenderer;
  extra: Item[];
  watchMs?: number;
}

/** Prints one record, or with a watch interval one per interval until `stop` is aborted. */
export async function collectCommand(ctx: Context, config: Config, options: CollectOptions, stop?: AbortSignal): Promise<BagtowerRecord> {
  let record = await runCollect(ctx, config, options.extra);
  ctx.write(options.render(record));
  if (options.watchMs === undefined) return record;
  runningLong();
  let next = ctx.now() + options.watchMs;
  while (!stop?.aborted) {
    while (!stop?.aborted && ctx.now() < next) await ctx.sleep(Math.min(200, next - ctx.now()));
    if (stop?.aborted) break;
    next += options.watchMs;
    record = await runCollect(ctx, config, options.extra);
    ctx.write(options.render(record));
  }
  return record;
}

/**
 * remote_write is a snappy-compressed protobuf: on a terminal it would only garble the screen, and
 * a --watch stream of them could not be split again (a snappy block does not state its own size).
 */
function _checkBinaryOutput(ctx: Context, watchMs: number | undefined): void {
  if (watchMs !== undefined) throw new UsageError("--format remote_write prints one binary request body and cannot be used with --watch");
  if (ctx.stdoutIsTerminal()) {
    throw new UsageError("--format remote_write is binary (snappy protobuf): redirect stdout to a file or a pipe, e.g. | curl --data-binary @- -H 'Content-Encoding: snappy' -H 'Content-Type: application/x-protobuf' URL");
  }
}

/** SIGINT and SIGTERM end a --watch loop cleanly (exit 0 after the current record). */
function _untilSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return controller.signal;
}

export default defineBagtowerCommand({
  meta: { name: "collect", description: "Read the device once and print one record on stdout" },
  args: {
    ...globalArgs,
    format: { type: "enum", options: [...COLLECT_FORMATS], valueHint: "FORMAT", description: "json (one line), pretty, ndjson, or a wire format: pattoo, datadog, influx, prometheus, remote_write (binary), telemetrics, mqtt" },
    pretty: { type: "boolean", description: "Same as --format pretty" },
    watch: { type: "string", valueHint: "INTERVAL", description: "Print a record every INTERVAL (10s, 1m) until stopped, as ndjson" },
    only: { type: "string", valueHint: "ITEMS", description: "Comma-separated item ids to read (e.g. cpu,memory)" },
    set: { type: "string", repeatable: true, valueHint: "NAME=VALUE", description: "Add an item (number or string); repeatable" },
    root: { type: "string", valueHint: "DIR", description: "Read /proc, /sys and /etc under DIR instead of / (collect.rootfs)" },
    "device-id": { type: "string", valueHint: "ID", description: "The device id to put in the record" },
  },
  async run({ args, ctx, data }) {
    const overrides: ConfigOverride[] = [];
    if (args.root !== undefined) overrides.push({ path: "collect.rootfs", value: args.root, source: "--root" });
    if (args.only !== undefined) overrides.push({ path: "items.only", value: splitList(args.only), source: "--only" });
    if (args["device-id"] !== undefined) overrides.push({ path: "deviceId", value: args["device-id"], source: "--device-id" });
    if (args.pretty && args.format !== undefined && args.format !== "pretty") {
      throw new UsageError(`--pretty prints indented JSON, so it cannot go with --format ${args.format}; pass one of them`);
    }
    const config = loadConfig(ctx, overrides);
    const watchMs = args.watch === undefined ? undefined : parseDuration(args.watch, "--watch");
    const format: CollectFormat = args.pretty ? "pretty" : (args.format ?? (watchMs ? "ndjson" : "json"));
    if (format === "remote_write") _checkBinaryOutput(ctx, watchMs);
    const stop = data.stop ?? (watchMs === undefined ? undefined : _untilSignal());
    const render = await recordRenderer(ctx, config, format);
    let record: BagtowerRecord;
    try {
      record = await collectCommand(ctx, config, { render, extra: args.set.map(parseSetOption), watchMs }, stop);
    } catch (error) {
      // A typo in --only is a usage error like an unknown flag; the same typo in config.json stays a config error.
      if (error instanceof UnknownItemError && error.field === "items.only" && args.only !== undefined) {
        throw new UsageError(error.message.replace(/^items\.only/, "--only"), { cause: error });
      }
      throw error;
    }
    return { exitCode: ExitCode.ok, data: record };
  },
});
