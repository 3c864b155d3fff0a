import { globalArgs } from "../../argv.ts";
import { removeCron } from "../../cron/manage.ts";
import { ExitCode } from "../../errors.ts";
import { defineBagtowerCommand } from "../_shared.ts";

export default defineBagtowerCommand({
  meta: { name: "remove", description: "Remove bagtower's crontab line (and only it)" },
  args: { ...globalArgs },
  run({ args, ctx }) {
    const removed = removeCron(ctx);
    ctx.log.info(removed ? "removed the crontab line" : "no bagtower line in the crontab");
    return { exitCode: ExitCode.ok, data: { removed } };
  },
});
