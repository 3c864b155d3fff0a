import { globalArgs } from "../../argv.ts";
import { loadConfig } from "../../config/load.ts";
import { inventory, sinkStats } from "../../deliver/inventory.ts";
import { ExitCode } from "../../errors.ts";
import { defineBagtowerCommand } from "../_shared.ts";
import { checkSink, sinkFilterArg } from "./shared.ts";

export default defineBagtowerCommand({
  meta: { name: "stats", description: "Count spooled, delivered, dropped and rejected records per sink" },
  args: { ...globalArgs, ...sinkFilterArg, json: { type: "boolean", description: "Print JSON instead of text" } },
  run({ args, ctx }) {
    const config = loadConfig(ctx);
    const stats = inventory(ctx, config, checkSink(ctx, config, args.sink)).map(sinkStats);
    if (args.json) {
      ctx.write(`${JSON.stringify(stats)}\n`);
      return { exitCode: ExitCode.ok, data: stats };
    }
    if (stats.length === 0) ctx.log.info("no sinks and no spool");
    for (const s of stats) {
      ctx.write(
        [
          `${s.sink}${s.configured ? "" : " (not in config.json)"}`,
          `  server     ${s.server ?? "unknown (no queue.json: spooled by an older version)"}${s.format ? ` (${s.format})` : ""}`,
          `  spooled    ${s.depth} records, ${s.bytes} bytes${s.oldest ? `, oldest ${s.oldest}` : ""}`,
          `  delivered  ${s.delivered}${s.lastSuccessAt ? `, last ${s.lastSuccessAt}` : ""}`,
          `  dropped    ${s.droppedExpired} expired, ${s.droppedFull} spool full, ${s.droppedRateLimited} rate-limited`,
          `  rejected   ${s.rejected} (${s.rejectedFiles} kept in rejected/), corrupt files ${s.corruptFiles}`,
          `  last error ${s.lastError ? `${s.lastError} at ${s.lastErrorAt}` : "none"}`,
          `  period     ${s.periodSeconds === null ? "not set by the server" : `${s.periodSeconds} s`}`,
        ].join("\n") + "\n",
      );
    }
    return { exitCode: ExitCode.ok, data: stats };
  },
});
