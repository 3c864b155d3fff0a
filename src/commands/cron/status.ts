import { globalArgs } from "../../argv.ts";
import { openCrontab } from "../../cron/crontab.ts";
import { findOurLine, formatPeriod } from "../../cron/line.ts";
import { readCronState, readLastPush } from "../../cron/manage.ts";
import { ExitCode } from "../../errors.ts";
import { defineBagtowerCommand } from "../_shared.ts";

export default defineBagtowerCommand({
  meta: { name: "status", description: "Show the crontab line, the period and the last push result" },
  args: { ...globalArgs, json: { type: "boolean", description: "Print JSON instead of text" } },
  run({ args, ctx }) {
    const line = findOurLine(openCrontab(ctx).read()) ?? null;
    const state = readCronState(ctx);
    const last = readLastPush(ctx);
    const status = {
      installed: line !== null,
      line,
      periodSeconds: line && state ? state.periodSeconds : null,
      lastPush: last ? { at: new Date(last.atMs).toISOString(), exitCode: last.exitCode, summary: last.summary } : null,
    };
    if (args.json) {
      ctx.write(`${JSON.stringify(status)}\n`);
      return { exitCode: ExitCode.ok, data: status };
    }
    ctx.write(
      [
        `line       ${line ?? "not installed (bagtower cron install)"}`,
        `period     ${status.periodSeconds === null ? "-" : formatPeriod(status.periodSeconds)}`,
        `last push  ${last ? `${status.lastPush!.at} exit ${last.exitCode}: ${last.summary}` : "never"}`,
      ].join("\n") + "\n",
    );
    return { exitCode: ExitCode.ok, data: status };
  },
});
