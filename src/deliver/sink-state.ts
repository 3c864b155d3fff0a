import type { Context } from "../context.ts";
import { STATE_FILES } from "../paths.ts";
import { readState, writeState } from "../state.ts";
import { emptySlots, type Slots } from "./ratelimit.ts";

/**
 * What bagtower remembers about one sink between runs (state/sink-<name>.json): the counters of
 * the self-metrics (SPEC §6), the server's hints (period, batch size, Retry-After), and the rate
 * limiter's slots. Written by the flush-lock holder; enqueue adds its drops outside the lock.
 */
export interface SinkState {
  delivered: number;
  droppedExpired: number;
  droppedFull: number;
  droppedRateLimited: number;
  rejected: number;
  corrupt: number;
  lastError: string | null;
  lastErrorAtMs: number | null;
  lastSuccessAtMs: number | null;
  /** The server's Retry-After, when it asked for longer than one run may wait. */
  notBeforeMs: number | null;
  periodSeconds: number | null;
  batchMax: number | null;
  rate: { minuteAbs?: number; records: Slots; bytes: Slots };
}

export function emptySinkState(): SinkState {
  return {
    delivered: 0,
    droppedExpired: 0,
    droppedFull: 0,
    droppedRateLimited: 0,
    rejected: 0,
    corrupt: 0,
    lastError: null,
    lastErrorAtMs: null,
    lastSuccessAtMs: null,
    notBeforeMs: null,
    periodSeconds: null,
    batchMax: null,
    rate: { records: emptySlots(), bytes: emptySlots() },
  };
}

export function readSinkState(ctx: Context, sink: string): SinkState {
  const stored = readState<Partial<SinkState>>(ctx.paths.state, STATE_FILES.sink(sink));
  const base = emptySinkState();
  if (!stored || typeof stored !== "object") return base;
  const merged = { ...base, ...stored };
  const slotsOk = (s: unknown): s is Slots => Array.isArray(s) && s.length === 60 && s.every((n) => typeof n === "number");
  merged.rate = {
    minuteAbs: typeof stored.rate?.minuteAbs === "number" ? stored.rate.minuteAbs : undefined,
    records: slotsOk(stored.rate?.records) ? stored.rate.records : emptySlots(),
    bytes: slotsOk(stored.rate?.bytes) ? stored.rate.bytes : emptySlots(),
  };
  return merged;
}

export function writeSinkState(ctx: Context, sink: string, state: SinkState): void {
  writeState(ctx.paths.state, STATE_FILES.sink(sink), state);
}

export function updateSinkState(ctx: Context, sink: string, change: (state: SinkState) => void): SinkState {
  const state = readSinkState(ctx, sink);
  change(state);
  writeSinkState(ctx, sink, state);
  return state;
}
