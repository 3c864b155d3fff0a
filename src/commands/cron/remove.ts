import { defineCommand } from "citty";
import { globalArgs } from "../../argv.ts";
import { removeCron } from "../../cron/manage.ts";
import { contextFor, type CommandData } from "../shared.ts";

export default defineCommand({
  meta: { name: "remove", description: "Remove bagtower's crontab line (and only it)" },
  args: { ...globalArgs },
  run({ args, data }) {
    const ctx = contextFor(args, data as CommandData);
    const removed = removeCron(ctx);
    ctx.log.info(removed ? "removed the crontab line" : "no bagtower line in the crontab");
    return { removed };
  },
});
