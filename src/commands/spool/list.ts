import { globalArgs } from "../../argv.ts";
import { loadConfig } from "../../config/load.ts";
import { inventory } from "../../deliver/inventory.ts";
import { readAsideReason } from "../../deliver/spool.ts";
import { ExitCode } from "../../errors.ts";
import { defineBagtowerCommand } from "../_shared.ts";
import { checkSink, sinkFilterArg } from "./shared.ts";

export default defineBagtowerCommand({
  meta: { name: "list", description: "Show the spooled records, oldest first" },
  args: {
    ...globalArgs,
    ...sinkFilterArg,
    rejected: { type: "boolean", description: "List the records the servers refused (rejected/), with the status and the server's reason" },
    json: { type: "boolean", description: "Print JSON instead of a table" },
  },
  run({ args, ctx }) {
    const config = loadConfig(ctx);
    const rows = inventory(ctx, config, checkSink(ctx, config, args.sink)).flatMap((inv) =>
      (args.rejected ? inv.rejected : inv.entries).map((e) => {
        const row = { sink: inv.sink, server: inv.server, file: e.name, created: new Date(e.createdMs).toISOString(), bytes: e.size };
        if (!args.rejected) return row;
        const reason = readAsideReason(e);
        return { ...row, status: reason?.status ?? null, reason: reason?.message ?? null };
      }),
    );
    if (args.json) ctx.write(`${JSON.stringify(rows)}\n`);
    else if (rows.length === 0) ctx.log.info(args.rejected ? "no rejected records" : "the spool is empty");
    else {
      const line = (r: (typeof rows)[number]) => {
        const cells = [r.sink, r.server ?? "server unknown", r.created, String(r.bytes), r.file];
        if ("status" in r) cells.push(String(r.status ?? "-"), r.reason ?? "no reason recorded");
        return cells.join("\t");
      };
      ctx.write(rows.map(line).join("\n") + "\n");
    }
    return { exitCode: ExitCode.ok, data: rows };
  },
});
