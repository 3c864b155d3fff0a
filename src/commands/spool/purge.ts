import { globalArgs } from "../../argv.ts";
import { loadConfig } from "../../config/load.ts";
import { inventory } from "../../deliver/inventory.ts";
import { removeEntries, spoolDirOf } from "../../deliver/spool.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import { defineBagtowerCommand } from "../_shared.ts";
import { checkSink, sinkFilterArg } from "./shared.ts";
import { join } from "../../posix-path.ts";

export default defineBagtowerCommand({
  meta: { name: "purge", description: "Delete spooled records (or, with --rejected, the refused ones)" },
  args: {
    ...globalArgs,
    ...sinkFilterArg,
    rejected: { type: "boolean", description: "Delete the records in rejected/ and corrupt/ instead of the queue" },
    yes: { type: "boolean", description: "Really delete (without it, purge only says what it would delete)" },
  },
  run({ args, ctx }) {
    const config = loadConfig(ctx);
    const sinks = inventory(ctx, config, checkSink(ctx, config, args.sink));
    const count = sinks.reduce((n, inv) => n + (args.rejected ? inv.rejected.length + inv.corrupt.length : inv.entries.length), 0);
    if (!args.yes) throw new UsageError(`this would delete ${count} record(s); add --yes to do it`);
    for (const inv of sinks) {
      const dir = spoolDirOf(ctx, inv.sink);
      if (!args.rejected) {
        removeEntries(dir, inv.entries);
        continue;
      }
      // The .reason.json companions go with their records.
      const aside = [...inv.rejected.map((e) => ["rejected", e] as const), ...inv.corrupt.map((e) => ["corrupt", e] as const)];
      for (const [sub, entry] of aside) removeEntries(join(dir, sub), [entry, { ...entry, path: `${entry.path}.reason.json` }]);
    }
    ctx.log.info(`deleted ${count} record(s)`);
    return { exitCode: ExitCode.ok, data: { deleted: count } };
  },
});
