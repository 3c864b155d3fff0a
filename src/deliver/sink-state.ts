import * as v from "valibot";
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

const _count = v.fallback(v.number(), 0);
const _nullableNumber = v.fallback(v.nullable(v.number()), null);
const _slots = v.fallback(v.pipe(v.array(v.number()), v.length(60)), emptySlots);

/** A field an older version did not write, or one that is damaged, reads as its empty value; the rest is kept. */
const _sinkStateSchema = v.object({
  delivered: _count,
  droppedExpired: _count,
  droppedFull: _count,
  droppedRateLimited: _count,
  rejected: _count,
  corrupt: _count,
  lastError: v.fallback(v.nullable(v.string()), null),
  lastErrorAtMs: _nullableNumber,
  lastSuccessAtMs: _nullableNumber,
  notBeforeMs: _nullableNumber,
  periodSeconds: _nullableNumber,
  batchMax: _nullableNumber,
  rate: v.fallback(v.object({ minuteAbs: v.fallback(v.optional(v.number()), undefined), records: _slots, bytes: _slots }), () => emptySinkState().rate),
});

export function readSinkState(ctx: Context, sink: string): SinkState {
  return readState(ctx.paths.state, STATE_FILES.sink(sink), _sinkStateSchema) ?? emptySinkState();
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
