import { join } from "../posix-path.ts";
import * as v from "valibot";
import type { Config, SinkConfig } from "../config/schema.ts";
import type { Context } from "../context.ts";
import type { EncodeOptions } from "../formats/types.ts";
import { DEFAULT_PERIOD_S } from "../record/period.ts";
import type { BagtowerRecord } from "../record/schema.ts";
import { MAX_WAIT_IN_RUN_MS } from "../sinks/http.ts";
import { redact, redactUrl, sinkSecrets } from "../redact.ts";
import { ageSlots, allowed, recordSend } from "./ratelimit.ts";
import { readSinkState, writeSinkState, type SinkState } from "./sink-state.ts";
import { CorruptSpoolFile, listSpool, spoolDirOf, moveAside, readSpooled, removeDeadTemps, removeEntries, type SpoolEntry } from "./spool.ts";
import { transportFor, type DeliveryOutcome, type Transport } from "../sinks/transport.ts";

export interface FlushResult {
  sink: string;
  sent: number;
  rejected: number;
  expired: number;
  rateLimited: number;
  superseded: number;
  corrupt: number;
  remaining: number;
  /** Why the sink stopped early with records left: a retryable failure, the rate limit, Retry-After. */
  held?: string;
  /**
   * The server refused the sink's configuration (401, 403, 404, 405; an MQTT broker's CONNACK
   * refusal or untrusted certificate, with no status and a hint of its own): the records stay
   * spooled, the sink stopped for this run, and the run exits 78.
   */
  refused?: { status?: number; message: string; url: string; hint?: string };
  /** Where this sink's rejected records are (spool/<sink>/rejected). */
  rejectedDir?: string;
  periodSeconds?: number;
}

const _hint = (min: number, max: number) => v.fallback(v.optional(v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max))), undefined);

/** Each hint on its own: a server's out-of-range period leaves its valid batch size in force. */
const _replySchema = v.object({ periodSeconds: _hint(10, 31 * 86400), batchMax: _hint(1, 100_000) });

/** A reply from our receiver (or BAG·Tower) may set the push period and announce batching; any other body sets nothing. */
export function parseReply(text: string): { periodSeconds?: number; batchMax?: number } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {};
  }
  const result = v.safeParse(_replySchema, json);
  return result.success ? result.output : {};
}

interface _Run {
  ctx: Context;
  config: Config;
  sink: SinkConfig;
  dir: string;
  state: SinkState;
  transport: Transport;
  options: EncodeOptions;
  result: FlushResult;
  /** Makes a message safe to log and store: no URL credentials, not the sink's key. */
  clean: (message: string) => string;
}

/** Records of a batch, parsed; corrupt files are moved aside with a warning and never block the queue. */
function _load(run: _Run, entries: SpoolEntry[]): { entry: SpoolEntry; record: BagtowerRecord }[] {
  const out: { entry: SpoolEntry; record: BagtowerRecord }[] = [];
  for (const entry of entries) {
    try {
      out.push({ entry, record: readSpooled(entry) });
    } catch (error) {
      if (!(error instanceof CorruptSpoolFile)) throw error;
      run.ctx.log.warn(`spool ${run.sink.name}: ${error.message}; moved to corrupt/`);
      moveAside(run.dir, entry, "corrupt", { reason: error.message, movedAtMs: run.ctx.now() });
      run.state.corrupt++;
      run.result.corrupt++;
    }
  }
  return out;
}

/** Whether the rate limiter lets `records` records of `bytes` bytes go now (telemetrics-client semantics). */
function _rateAllows(run: _Run, records: number, bytes: number): boolean {
  const limits = run.config.rateLimit;
  if (!limits.enabled) return true;
  const minuteAbs = Math.floor(run.ctx.now() / 60_000);
  const minute = minuteAbs % 60;
  run.state.rate = {
    minuteAbs,
    records: ageSlots(run.state.rate.records, run.state.rate.minuteAbs, minuteAbs),
    bytes: ageSlots(run.state.rate.bytes, run.state.rate.minuteAbs, minuteAbs),
  };
  return (
    allowed(run.state.rate.records, minute, limits.recordWindowMinutes, limits.recordBurstLimit, records) &&
    allowed(run.state.rate.bytes, minute, limits.byteWindowMinutes, limits.byteBurstLimit, bytes)
  );
}

function _rateCount(run: _Run, records: number, bytes: number): void {
  const limits = run.config.rateLimit;
  if (!limits.enabled) return;
  const minute = Math.floor(run.ctx.now() / 60_000) % 60;
  run.state.rate.records = recordSend(run.state.rate.records, minute, limits.recordWindowMinutes, records);
  run.state.rate.bytes = recordSend(run.state.rate.bytes, minute, limits.byteWindowMinutes, bytes);
}

function _accepted(run: _Run, outcome: Extract<DeliveryOutcome, { kind: "accepted" }>, entries: SpoolEntry[], bytes: number): void {
  removeEntries(run.dir, entries);
  _rateCount(run, entries.length, bytes);
  run.state.delivered += entries.length;
  run.state.lastSuccessAtMs = run.ctx.now();
  run.state.notBeforeMs = null;
  run.result.sent += entries.length;
  const reply = parseReply(outcome.text);
  if (reply.batchMax !== undefined) run.state.batchMax = reply.batchMax;
  if (reply.periodSeconds !== undefined) {
    run.state.periodSeconds = reply.periodSeconds;
    run.result.periodSeconds = reply.periodSeconds;
  }
}

function _periodMs(state: SinkState): number {
  return (state.periodSeconds ?? DEFAULT_PERIOD_S) * 1000;
}

function _held(run: _Run, raw: string): void {
  const message = run.clean(raw);
  run.result.held = message;
  run.state.lastError = message;
  run.state.lastErrorAtMs = run.ctx.now();
}

/**
 * Delivers one sink's spool (SPEC §6): oldest first, expired records dropped and counted, a record
 * deleted only after the server accepted it, stop at the first retryable failure, refused records
 * moved to rejected/ with the reason. At most `max` records are sent.
 */
export async function flushSink(ctx: Context, config: Config, sink: SinkConfig, options: EncodeOptions, max: number): Promise<FlushResult> {
  const run: _Run = {
    ctx,
    config,
    sink,
    dir: spoolDirOf(ctx, sink.name),
    state: readSinkState(ctx, sink.name),
    transport: transportFor(ctx, config, sink, options),
    options,
    clean: (message) => redact(message, sinkSecrets(sink)),
    result: { sink: sink.name, sent: 0, rejected: 0, expired: 0, rateLimited: 0, superseded: 0, corrupt: 0, remaining: 0 },
  };
  const plan = run.transport;
  const now = ctx.now();
  removeDeadTemps(run.dir);
  let entries = listSpool(run.dir);

  const expiredBefore = now - config.spool.expiryMinutes * 60_000;
  const expired = entries.filter((e) => e.createdMs < expiredBefore);
  if (expired.length > 0) {
    removeEntries(run.dir, expired);
    run.state.droppedExpired += expired.length;
    run.result.expired = expired.length;
    ctx.log.warn(`spool ${sink.name}: dropped ${expired.length} record(s) older than ${config.spool.expiryMinutes} minutes`);
    entries = entries.slice(expired.length);
  }

  // A Retry-After never holds a sink longer than one period, even one stored by an older version
  // or made huge by the clock jumping back.
  if (run.state.notBeforeMs !== null) run.state.notBeforeMs = Math.min(run.state.notBeforeMs, now + _periodMs(run.state));
  if (run.state.notBeforeMs !== null && run.state.notBeforeMs > now) {
    // The server's Retry-After: a short one is waited out, a long one leaves the records for later.
    const wait = run.state.notBeforeMs - now;
    if (wait <= MAX_WAIT_IN_RUN_MS && entries.length > 0) await ctx.sleep(wait);
    else {
      _held(run, `the server asked to wait until ${new Date(run.state.notBeforeMs).toISOString()} (Retry-After)`);
      entries = [];
    }
  }

  let singly = false; // after a batch is refused, records go one by one to find the bad one
  while (entries.length > 0 && run.result.sent < max) {
    const size = plan.newestOnly ? entries.length : Math.min(singly ? 1 : plan.batch(run.state), max - run.result.sent);
    const loaded = _load(run, entries.slice(0, size));
    entries = entries.slice(size);
    if (loaded.length === 0) continue;
    const delivery = plan.prepare(loaded.map((l) => l.record));
    const bytes = delivery.bytes;
    const batch = loaded.map((l) => l.entry);

    if (!_rateAllows(run, batch.length, bytes)) {
      if (config.rateLimit.strategy === "drop") {
        removeEntries(run.dir, batch);
        run.state.droppedRateLimited += batch.length;
        run.result.rateLimited += batch.length;
        continue;
      }
      _held(run, "rate limit reached; records stay spooled for a later run");
      entries = [...batch, ...entries];
      break;
    }

    const outcome = await delivery.send();
    if (outcome.kind === "accepted") {
      _accepted(run, outcome, batch, bytes);
      if (plan.newestOnly) run.result.superseded += batch.length - 1;
      continue;
    }
    if (outcome.kind === "retryable") {
      _held(run, outcome.message);
      if (outcome.retryAfterMs !== undefined) run.state.notBeforeMs = ctx.now() + Math.min(outcome.retryAfterMs, _periodMs(run.state));
      entries = [...batch, ...entries];
      break;
    }
    if (outcome.kind === "refused") {
      // Every record would be refused the same way: none of them is at fault, so all stay queued.
      _held(run, outcome.message);
      run.result.refused = { status: outcome.status, message: run.clean(outcome.message), url: redactUrl(delivery.target), ...(outcome.hint ? { hint: outcome.hint } : {}) };
      entries = [...batch, ...entries];
      break;
    }
    if (batch.length > 1 && !plan.newestOnly) {
      singly = true;
      entries = [...batch, ...entries];
      continue;
    }
    const message = run.clean(outcome.message);
    for (const entry of batch) moveAside(run.dir, entry, "rejected", { status: outcome.status, message, rejectedAtMs: ctx.now() });
    ctx.log.warn(`spool ${sink.name}: the server refused ${batch.length === 1 ? batch[0]!.name : `${batch.length} records`} (${message}); moved to rejected/`);
    run.state.rejected += batch.length;
    run.state.lastError = message;
    run.state.lastErrorAtMs = ctx.now();
    run.result.rejected += batch.length;
    run.result.rejectedDir = join(run.dir, "rejected");
  }

  run.result.remaining = listSpool(run.dir).length;
  writeSinkState(ctx, sink.name, run.state);
  return run.result;
}
