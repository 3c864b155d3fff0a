// Scale-out (SPEC §9): everything serve accepts is also sent on to an existing time-series engine
// (VictoriaMetrics, InfluxDB, Prometheus' Pushgateway, Datadog, any remote-write receiver) through
// the same wire formats and HTTP sender as push. The queue is the records table itself, with a cursor per target: a record
// is forwarded after it is committed, and the cursor moves only when the target accepted it, so a
// target that is down for a while gets everything, in order, once it is back.
import type { Config, SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { createSender, isConfigRefusal, type Send } from "../sinks/http.ts";
import { wirePlans, type WirePlan } from "../sinks/wire.ts";
import { errorMessage } from "../errors.ts";
import type { EncodeOptions } from "../formats/types.ts";
import type { BagtowerRecord } from "../record/schema.ts";
import { foreignToIngest } from "./ingest/normalize.ts";
import type { Store } from "./store.ts";

const _BATCH = 500;

/** A stored body as a complete record: sketches' records come without meta, which the encoders need. */
export function completeRecord(body: string): BagtowerRecord | undefined {
  try {
    const json = JSON.parse(body) as Partial<BagtowerRecord>;
    if (json.meta) return json as BagtowerRecord;
    if (typeof json.unixTimestamp !== "number" || !Array.isArray(json.data) || !json.deviceId) return undefined;
    return JSON.parse(foreignToIngest({ deviceId: json.deviceId, unixTimestamp: json.unixTimestamp, data: json.data, agent: "bagtower" }).body()) as BagtowerRecord;
  } catch {
    return undefined;
  }
}

export interface ForwardStatus {
  sink: string;
  forwarded: number;
  skipped: number;
  lastError: string | null;
  behind: number;
}

export function createForwarder(ctx: Context, http: Config["http"], sinks: SinkConfig[], store: Store, options: EncodeOptions) {
  const targets = sinks.map((sink) => ({ sink, send: createSender(ctx, http) as Send, status: { sink: sink.name, forwarded: 0, skipped: 0, lastError: null as string | null, behind: 0 } }));
  let running = false;

  function _skipped(target: (typeof targets)[number], count: number, message: string): void {
    target.status.skipped += count;
    target.status.lastError = message;
    ctx.log.warn(`forward ${target.sink.name}: the target refused ${count} record(s) (${message}); skipped`);
  }

  /** A refused batch again one record a request; false when the target stopped answering (the cursor stays). */
  async function _singly(target: (typeof targets)[number], plan: WirePlan, group: BagtowerRecord[]): Promise<boolean> {
    for (const record of group) {
      const outcome = await target.send(plan.request([record], target.sink, options), plan.accepts);
      if (outcome.kind === "retryable" || (outcome.kind === "rejected" && isConfigRefusal(outcome.status))) {
        target.status.lastError = outcome.message;
        return false;
      }
      if (outcome.kind === "rejected") _skipped(target, 1, outcome.message);
      else target.status.forwarded++;
    }
    return true;
  }

  async function _one(target: (typeof targets)[number]): Promise<void> {
    const format = target.sink.format;
    if (format === "mqtt") return; // the config schema refuses an mqtt forward target
    const plan = wirePlans[format];
    for (;;) {
      const cursor = store.forwardCursor(target.sink.name);
      const rows = store.recordsAfter(cursor, plan.newestOnly ? _BATCH : Math.min(_BATCH, plan.batch({ batchMax: _BATCH })));
      if (rows.length === 0) return;
      const records = rows.map((r) => completeRecord(r.body)).filter((r): r is BagtowerRecord => r !== undefined);
      // A Pushgateway group is one device: each device's newest record goes in its own PUT.
      const groups = plan.newestOnly ? [...Map.groupBy(records, (r) => r.deviceId ?? r.meta.machineId).values()] : [records];
      for (const group of groups) {
        if (group.length === 0) continue;
        const outcome = await target.send(plan.request(group, target.sink, options), plan.accepts);
        if (outcome.kind === "retryable" || (outcome.kind === "rejected" && isConfigRefusal(outcome.status))) {
          // 401/403/404/405 mean our settings for the target are wrong (a key, a path), not the
          // records: they wait, as on a device, until the target is fixed. One line per new error.
          if (outcome.kind === "rejected" && outcome.message !== target.status.lastError) {
            ctx.log.error(`forward ${target.sink.name}: ${outcome.message}; records wait until the target's URL or key is fixed`);
          }
          target.status.lastError = outcome.message;
          return; // the cursor stays: the next tick tries again from here
        }
        if (outcome.kind === "rejected" && group.length > 1 && !plan.newestOnly) {
          // One bad record, or a batch re-sent after a crash that Prometheus refuses whole as out of
          // order: record by record, the ones the target takes go on and only the refused are skipped.
          if (!(await _singly(target, plan, group))) return;
        } else if (outcome.kind === "rejected") {
          _skipped(target, group.length, outcome.message);
        } else {
          target.status.forwarded += group.length;
        }
      }
      store.setForwardCursor(target.sink.name, rows.at(-1)!.seq);
    }
  }

  return {
    status: () => targets.map((t) => t.status),
    /** Sends what is new to every target; overlapping calls coalesce. */
    async tick(): Promise<void> {
      if (running) return;
      running = true;
      try {
        for (const target of targets) {
          try {
            await _one(target);
          } catch (error) {
            target.status.lastError = errorMessage(error);
            ctx.log.warn(`forward ${target.sink.name}: ${errorMessage(error)}`);
          }
        }
      } finally {
        running = false;
      }
    },
  };
}

export type Forwarder = ReturnType<typeof createForwarder>;
