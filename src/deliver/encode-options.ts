import type { Config } from "../config/schema.ts";
import type { Context } from "../context.ts";
import type { EncodeOptions } from "../formats/types.ts";
import { resolvePattooAgentId } from "../record/identity.ts";
import { DEFAULT_PERIOD_S } from "../record/period.ts";
import { readSinkState } from "./sink-state.ts";

/** What the encoders need besides the records: the pattoo agent id and the polling interval (the server's period). */
export function encodeOptions(ctx: Context, config: Config): EncodeOptions {
  const periods = config.sinks.map((s) => readSinkState(ctx, s.name).periodSeconds).filter((p): p is number => p !== null);
  return {
    // Made (and stored) only when a pattoo sink needs it.
    get pattooAgentId() {
      return resolvePattooAgentId(ctx);
    },
    pollingIntervalMs: (periods[0] ?? DEFAULT_PERIOD_S) * 1000,
  };
}
