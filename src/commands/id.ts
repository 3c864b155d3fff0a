import { defineCommand } from "citty";
import { globalArgs } from "../argv.ts";
import { createProbe } from "../collect/probe.ts";
import { readHostname } from "../collect/run.ts";
import { loadConfig, readConfigFile } from "../config/load.ts";
import type { Context } from "../context.ts";
import { resolveGeneratedDeviceId } from "../record/device-id.ts";
import { currentSeq, MACHINE_ID_MAX_AGE_MS, resolveMachineId, resolvePattooAgentId } from "../record/identity.ts";
import { contextFor, type CommandData } from "./shared.ts";

export interface IdentityReport {
  machineId: string;
  machineIdSource: string;
  machineIdRotatesAt: string | null;
  /** The id every record carries: the configured one, else the one generated once for this home. */
  deviceId: string;
  deviceIdSource: string;
  bootId: string;
  seq: number;
  pattooAgentId: string;
}

/** Every identity bagtower uses, and where each one comes from (SPEC §5). */
export function identityReport(ctx: Context): IdentityReport {
  const config = loadConfig(ctx);
  const machine = resolveMachineId(ctx);
  const probe = createProbe(config.collect.rootfs, ctx.statfs);
  const generated = config.deviceId ? undefined : resolveGeneratedDeviceId(ctx, readHostname(probe));
  const deviceId = config.deviceId ?? generated?.id ?? "";
  const deviceIdSource = generated
    ? `${generated.path} (${generated.source === "generated" ? "generated now" : "generated once"}, never rotates; --device-id sets another)`
    : ctx.env.BAGTOWER_DEVICE_ID
      ? "environment BAGTOWER_DEVICE_ID"
      : readConfigFile(ctx.paths.config, false).deviceId
        ? ctx.paths.config
        : "default";
  const machineIdSource = {
    static: `${machine.path} (opt-in static id, never rotates)`,
    stored: `${machine.path} (rotating)`,
    generated: `${machine.path} (generated now)`,
    rotated: `${machine.path} (rotated now: the previous one was older than 3 days)`,
  }[machine.source];
  return {
    machineId: machine.id,
    machineIdSource,
    machineIdRotatesAt: machine.createdMs === undefined ? null : new Date(machine.createdMs + MACHINE_ID_MAX_AGE_MS).toISOString(),
    deviceId,
    deviceIdSource,
    bootId: probe.maybeText("/proc/sys/kernel/random/boot_id")?.trim() ?? "",
    seq: currentSeq(ctx),
    pattooAgentId: resolvePattooAgentId(ctx),
  };
}

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

export default defineCommand({
  meta: { name: "id", description: "Print the machine id, device id, boot id and where each comes from" },
  args: {
    ...globalArgs,
    json: { type: "boolean", description: "Print JSON instead of a table" },
  },
  run({ args, data }) {
    const ctx = contextFor(args, data as CommandData);
    const report = identityReport(ctx);
    ctx.write(args.json ? `${JSON.stringify(report)}\n` : renderIdentity(report));
    return report;
  },
});
