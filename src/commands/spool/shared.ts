import { UsageError } from "../../errors.ts";
import type { Config } from "../../config/schema.ts";
import type { Context } from "../../context.ts";
import { spooledSinks } from "../../deliver/inventory.ts";
import { didYouMean } from "../../suggest.ts";

export const sinkFilterArg = { sink: { type: "string", valueHint: "NAME", description: "Only this sink's spool" } } as const;

/** `--sink NAME` must name a sink that exists: a typo must not look like an empty spool. */
export function checkSink(ctx: Context, config: Config, sink: string | undefined): string | undefined {
  if (sink === undefined) return undefined;
  const known = spooledSinks(ctx, config);
  if (!known.includes(sink)) throw new UsageError(`no sink named "${sink}".${didYouMean(sink, known, "")} Known: ${known.join(", ") || "none"}.`);
  return sink;
}
