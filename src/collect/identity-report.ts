import { loadConfig, readConfigFile } from "../config/load.ts";
import type { Context } from "../context.ts";
import { resolveGeneratedDeviceId } from "../record/device-id.ts";
import { currentSeq, MACHINE_ID_MAX_AGE_MS, resolveMachineId, resolvePattooAgentId } from "../record/identity.ts";
import { createProbe } from "./probe.ts";
import { readHostname } from "./run.ts";

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
