import { defineCommand } from "citty";
import { globalArgs } from "../../argv.ts";
import { loadConfig } from "../../config/load.ts";
import { inventory } from "../../deliver/inventory.ts";
import { contextFor, type CommandData } from "../shared.ts";
import { checkSink, sinkFilterArg } from "./shared.ts";

export default defineCommand({
  meta: { name: "list", description: "Show the spooled records, oldest first" },
  args: {
    ...globalArgs,
    ...sinkFilterArg,
    rejected: { type: "boolean", description: "List the records the servers refused (rejected/) instead" },
    json: { type: "boolean", description: "Print JSON instead of a table" },
  },
  run({ args, data }) {
    const ctx = contextFor(args, data as CommandData);
    const config = loadConfig(ctx);
    const rows = inventory(ctx, config, checkSink(ctx, config, args.sink)).flatMap((inv) =>
      (args.rejected ? inv.rejected : inv.entries).map((e) => ({ sink: inv.sink, file: e.name, created: new Date(e.createdMs).toISOString(), bytes: e.size })),
    );
    if (args.json) ctx.write(`${JSON.stringify(rows)}\n`);
    else if (rows.length === 0) ctx.log.info(args.rejected ? "no rejected records" : "the spool is empty");
    else ctx.write(rows.map((r) => `${r.sink}\t${r.created}\t${r.bytes}\t${r.file}`).join("\n") + "\n");
    return rows;
  },
});
