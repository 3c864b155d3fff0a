import { globalArgs } from "../../argv.ts";
import { loadConfig } from "../../config/load.ts";
import { flushAll } from "../../deliver/push.ts";
import { ExitCode } from "../../errors.ts";
import { parseFlag, wholeNumberText } from "../../flag-value.ts";
import { defineBagtowerCommand } from "../_shared.ts";
import { reportPush, requireSinks, sinkArgs, sinkOverrides } from "../_sink-flags.ts";
import { checkSink, sinkFilterArg } from "./shared.ts";

export default defineBagtowerCommand({
  meta: { name: "flush", description: "Deliver everything spooled now (no per-run cap unless --max)" },
  args: {
    ...globalArgs,
    ...sinkArgs,
    ...sinkFilterArg,
    max: { type: "string", valueHint: "N", description: "Send at most N records per sink" },
    json: { type: "boolean", description: "Print the result as JSON on stdout" },
  },
  async run({ args, ctx }) {
    const config = loadConfig(ctx, sinkOverrides(args));
    requireSinks(config);
    const sink = checkSink(ctx, config, args.sink);
    let max = Number.POSITIVE_INFINITY;
    if (args.max !== undefined) max = parseFlag(wholeNumberText(1), args.max, "--max");
    const flushed = await flushAll(ctx, config, max, undefined, sink);
    if (args.json) ctx.write(`${JSON.stringify(flushed)}\n`);
    if (!flushed.results) {
      ctx.log.warn(`another bagtower run${flushed.lockedBy ? ` (pid ${flushed.lockedBy})` : ""} is delivering; try again when it is done`);
      return { exitCode: ExitCode.tempFail, data: flushed };
    }
    return { exitCode: reportPush(ctx, flushed), data: flushed };
  },
});
