import { globalArgs } from "../../argv.ts";
import { loadConfig } from "../../config/load.ts";
import { spoolDirOf } from "../../deliver/spool.ts";
import { inventory } from "../../deliver/inventory.ts";
import { requeue } from "../../deliver/requeue.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import { defineBagtowerCommand } from "../_shared.ts";
import { checkSink, sinkFilterArg } from "./shared.ts";

export default defineBagtowerCommand({
  meta: { name: "requeue", description: "Move rejected records back into their queue (after fixing the configuration)" },
  args: {
    ...globalArgs,
    ...sinkFilterArg,
    all: { type: "boolean", description: "Every rejected record (of --sink NAME, or of all sinks)" },
    ids: { type: "positional", required: false, variadic: true, valueHint: "ID", description: "Spool file names or recordId prefixes (see spool list --rejected)" },
    json: { type: "boolean", description: "Print the result as JSON on stdout" },
  },
  run({ args, ctx }) {
    const ids = args.ids.filter((id) => id !== "");
    if (args.all && ids.length > 0) throw new UsageError("give either --all or IDs, not both");
    if (!args.all && ids.length === 0) throw new UsageError("name the records to requeue: IDs (see bagtower spool list --rejected) or --all");
    const config = loadConfig(ctx);
    const sinks = inventory(ctx, config, checkSink(ctx, config, args.sink));
    const results = requeue(sinks, (sink) => spoolDirOf(ctx, sink), args.all ? "all" : ids, ctx.now());
    const count = results.reduce((n, r) => n + r.requeued.length, 0);
    if (args.json) ctx.write(`${JSON.stringify(results)}\n`);
    if (count === 0) ctx.log.info("no rejected records");
    for (const r of results) ctx.log.info(`${r.sink}: ${r.requeued.length} record(s) back in the queue; they go with the next push or spool flush`);
    return { exitCode: ExitCode.ok, data: results };
  },
});
