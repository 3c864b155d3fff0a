import { globalArgs } from "../../argv.ts";
import { loadConfig } from "../../config/load.ts";
import { installCron } from "../../cron/manage.ts";
import { DEFAULT_PERIOD_S } from "../../record/period.ts";
import { formatPeriod } from "../../cron/line.ts";
import { readSinkState } from "../../deliver/sink-state.ts";
import { parseDuration } from "../../duration.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import { defineBagtowerCommand } from "../_shared.ts";

export default defineBagtowerCommand({
  meta: { name: "install", description: "Add (or replace) the crontab line that runs push every period" },
  args: {
    ...globalArgs,
    period: { type: "string", valueHint: "PERIOD", description: "How often (10m, 1h); default: the server's period, else 10m" },
  },
  run({ args, ctx }) {
    const config = loadConfig(ctx);
    let periodSeconds: number;
    if (args.period !== undefined) {
      periodSeconds = Math.round(parseDuration(args.period, "--period") / 1000);
      if (periodSeconds < 60) throw new UsageError(`--period ${args.period}: cron runs at most once a minute; use 1m or more`);
    } else {
      const fromServer = config.sinks.map((s) => readSinkState(ctx, s.name).periodSeconds).find((p) => p !== null);
      periodSeconds = fromServer ?? DEFAULT_PERIOD_S;
    }
    const result = installCron(ctx, periodSeconds);
    ctx.log.info(`${result.replaced ? "replaced" : "installed"} the crontab line: push every ${formatPeriod(periodSeconds)}${result.everyMinute ? " (cron runs each minute; push skips until the period has passed)" : ""}`);
    ctx.write(`${result.line}\n`);
    return { exitCode: ExitCode.ok, data: result };
  },
});
