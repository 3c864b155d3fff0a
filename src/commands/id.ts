import { globalArgs } from "../argv.ts";
import { identityReport, type IdentityReport } from "../collect/identity-report.ts";
import { ExitCode } from "../errors.ts";
import { defineBagtowerCommand } from "./_shared.ts";

export function renderIdentity(report: IdentityReport): string {
  const rows: [string, string, string][] = [
    ["machine id", report.machineId, report.machineIdSource + (report.machineIdRotatesAt ? `, next rotation ${report.machineIdRotatesAt}` : "")],
    ["device id", report.deviceId, report.deviceIdSource],
    ["boot id", report.bootId || "-", "/proc/sys/kernel/random/boot_id"],
    ["sequence", String(report.seq), "state/seq.json (last record number)"],
    ["pattoo agent id", report.pattooAgentId, "state/pattoo-agent-id (never rotates)"],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  return `${rows.map(([label, value, source]) => `${label.padEnd(width)}  ${value}  ${source}`).join("\n")}\n`;
}

export default defineBagtowerCommand({
  meta: { name: "id", description: "Print the machine id, device id, boot id and where each comes from" },
  args: {
    ...globalArgs,
    json: { type: "boolean", description: "Print JSON instead of a table" },
  },
  run({ args, ctx }) {
    const report = identityReport(ctx);
    ctx.write(args.json ? `${JSON.stringify(report)}\n` : renderIdentity(report));
    return { exitCode: ExitCode.ok, data: report };
  },
});
