import { globalArgs } from "../argv.ts";
import { loadConfig } from "../config/load.ts";
import { pushOnce } from "../deliver/push-once.ts";
import { saveConfig } from "../deliver/save-config.ts";
import { ExitCode } from "../errors.ts";
import { shouldSkipCronRun } from "../cron/manage.ts";
import { rotateLog } from "../log-file.ts";
import { defineBagtowerCommand } from "./_shared.ts";
import { reportPush, requireSinks, sinkArgs, sinkOverrides } from "./_sink-flags.ts";

export default defineBagtowerCommand({
  meta: { name: "push", description: "Collect, spool the record, deliver everything spooled, adopt the server's period" },
  args: {
    ...globalArgs,
    ...sinkArgs,
    save: { type: "boolean", description: "Store --server, --api-key, --device-id … in config.json" },
    cron: { type: "boolean", description: "Run as the crontab line does: timestamped log lines, bounded log, period skip" },
    json: { type: "boolean", description: "Print the delivery result as JSON on stdout" },
  },
  async run({ args, ctx }) {
    // --cron's timestamped lines come from the run's one logger (runCli builds it).
    if (args.cron) {
      rotateLog(ctx.paths.log);
      if (shouldSkipCronRun(ctx)) return { exitCode: ExitCode.ok };
    }
    const config = loadConfig(ctx, sinkOverrides(args));
    if (args.save) saveConfig(ctx, config, { deviceId: args["device-id"] !== undefined, sinks: args.server !== undefined });
    requireSinks(config);
    const { result, exitCode } = await pushOnce(ctx, config, (r) => reportPush(ctx, r));
    if (args.json) {
      const { record, ...rest } = result;
      ctx.write(`${JSON.stringify({ recordId: record.meta.recordId, ...rest })}\n`);
    }
    return { exitCode, data: result };
  },
});
