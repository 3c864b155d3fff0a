import type { Config } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { listDir } from "../host.ts";
import { queueInfoOf, readQueueInfo } from "./queue-info.ts";
import { readSinkState, type SinkState } from "./sink-state.ts";
import { listAside, listSpool, spoolBytes, spoolDirOf, type SpoolEntry } from "./spool.ts";

/** Sinks with a spool: those configured, and old queues of sinks since removed from config.json. */
export function spooledSinks(ctx: Context, config: Config): string[] {
  const names = new Set(config.sinks.map((s) => s.name));
  for (const name of listDir(ctx.paths.spool)) if (/^[A-Za-z0-9_-]{1,64}$/.test(name)) names.add(name);
  return [...names];
}

export interface SinkInventory {
  sink: string;
  configured: boolean;
  /** The server the queue is for (redacted URL), from config.json or the queue's queue.json. */
  server: string | null;
  format: string | null;
  entries: SpoolEntry[];
  rejected: SpoolEntry[];
  corrupt: SpoolEntry[];
  state: SinkState;
}

export function inventory(ctx: Context, config: Config, only?: string): SinkInventory[] {
  return spooledSinks(ctx, config)
    .filter((sink) => only === undefined || sink === only)
    .map((sink) => {
      const dir = spoolDirOf(ctx, sink);
      const configured = config.sinks.find((s) => s.name === sink);
      const info = configured ? queueInfoOf(configured) : readQueueInfo(dir);
      return {
        sink,
        configured: configured !== undefined,
        server: info?.url ?? null,
        format: info?.format ?? null,
        entries: listSpool(dir),
        rejected: listAside(dir, "rejected"),
        corrupt: listAside(dir, "corrupt"),
        state: readSinkState(ctx, sink),
      };
    });
}

export function sinkStats(inv: SinkInventory) {
  const { state } = inv;
  return {
    sink: inv.sink,
    configured: inv.configured,
    server: inv.server,
    format: inv.format,
    depth: inv.entries.length,
    bytes: spoolBytes(inv.entries),
    oldest: inv.entries[0] ? new Date(inv.entries[0].createdMs).toISOString() : null,
    rejectedFiles: inv.rejected.length,
    corruptFiles: inv.corrupt.length,
    delivered: state.delivered,
    droppedExpired: state.droppedExpired,
    droppedFull: state.droppedFull,
    droppedRateLimited: state.droppedRateLimited,
    rejected: state.rejected,
    lastError: state.lastError,
    lastErrorAt: state.lastErrorAtMs === null ? null : new Date(state.lastErrorAtMs).toISOString(),
    lastSuccessAt: state.lastSuccessAtMs === null ? null : new Date(state.lastSuccessAtMs).toISOString(),
    periodSeconds: state.periodSeconds,
    batchMax: state.batchMax,
  };
}
