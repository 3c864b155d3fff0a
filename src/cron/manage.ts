import { existsSync, mkdirSync } from "node:fs";
import { basename, dirname } from "../posix-path.ts";
import * as v from "valibot";
import type { Context } from "../context.ts";
import { ConfigError } from "../errors.ts";
import { resolveMachineId } from "../record/identity.ts";
import { STATE_FILES } from "../paths.ts";
import { readState, writeState } from "../state.ts";
import { openCrontab, type Crontab } from "./crontab.ts";
import { cronLine, findOurLine, formatPeriod, scheduleFor, withOurLine } from "./line.ts";

/** What `cron install` put in the crontab, so push can tell whether the server changed the period. */
export interface CronState {
  periodSeconds: number;
  everyMinute: boolean;
  line: string;
  installedAtMs: number;
}

export interface LastPush {
  atMs: number;
  exitCode: number;
  summary: string;
}

const _cronStateSchema = v.object({ periodSeconds: v.number(), everyMinute: v.boolean(), line: v.string(), installedAtMs: v.number() });
const _lastPushSchema = v.object({ atMs: v.number(), exitCode: v.number(), summary: v.string() });

export function readCronState(ctx: Context): CronState | undefined {
  return readState(ctx.paths.state, STATE_FILES.cron, _cronStateSchema);
}

export function readLastPush(ctx: Context): LastPush | undefined {
  return readState(ctx.paths.state, STATE_FILES.lastPush, _lastPushSchema);
}

export function writeLastPush(ctx: Context, last: LastPush): void {
  writeState(ctx.paths.state, STATE_FILES.lastPush, last);
}

/** The binary cron runs: the installed one, or this compiled executable. Never `bun` itself. */
export function cronBinary(ctx: Context, execPath = process.execPath): string {
  if (existsSync(ctx.paths.bin)) return ctx.paths.bin;
  if (basename(execPath) === "bun" || basename(execPath) === "bun.exe") {
    throw new ConfigError(`cron needs the compiled binary at ${ctx.paths.bin}: run install.sh (or install.sh --from-source) first`);
  }
  return execPath;
}

export function logFile(ctx: Context): string {
  return ctx.paths.log;
}

export interface InstallResult {
  line: string;
  periodSeconds: number;
  everyMinute: boolean;
  replaced: boolean;
}

/** Installs or replaces our line (SPEC §8) for `periodSeconds`. */
export function installCron(ctx: Context, periodSeconds: number, crontab: Crontab = openCrontab(ctx), binary = cronBinary(ctx)): InstallResult {
  const schedule = scheduleFor(periodSeconds, resolveMachineId(ctx).id);
  // The shell opens the log before bagtower runs: without its directory every cron run would fail.
  mkdirSync(dirname(logFile(ctx)), { recursive: true, mode: 0o700 });
  const line = cronLine(schedule, binary, ctx.paths.home, logFile(ctx));
  const current = crontab.read();
  const replaced = findOurLine(current) !== undefined;
  const next = withOurLine(current, line);
  if (next !== current) crontab.write(next);
  writeState(ctx.paths.state, STATE_FILES.cron, { periodSeconds, everyMinute: schedule.everyMinute, line, installedAtMs: ctx.now() } satisfies CronState);
  return { line, periodSeconds, everyMinute: schedule.everyMinute, replaced };
}

/** Removes our line only; returns whether there was one. */
export function removeCron(ctx: Context, crontab: Crontab = openCrontab(ctx)): boolean {
  const current = crontab.read();
  if (findOurLine(current) === undefined) return false;
  crontab.write(withOurLine(current, undefined));
  return true;
}

/**
 * After a push: when the server's period differs from the installed line's, rewrite the line (only
 * when a line of ours is installed: a user who runs push by hand gets no crontab).
 */
export function applyServerPeriod(ctx: Context, periodSeconds: number): InstallResult | undefined {
  const state = readCronState(ctx);
  if (!state || state.periodSeconds === periodSeconds) return undefined;
  const crontab = openCrontab(ctx);
  const installed = findOurLine(crontab.read());
  if (!installed) return undefined;
  const result = installCron(ctx, periodSeconds, crontab, cronBinary(ctx));
  ctx.log.info(`the server changed the period to ${formatPeriod(periodSeconds)}: crontab updated`);
  return result;
}

/**
 * For a period cron cannot express the line runs every minute: a cron run skips until the period
 * has passed since the last run (30 s of slack absorbs cron's start jitter).
 */
export function shouldSkipCronRun(ctx: Context): boolean {
  const state = readCronState(ctx);
  if (!state?.everyMinute) return false;
  const last = readLastPush(ctx);
  return last !== undefined && ctx.now() - last.atMs < state.periodSeconds * 1000 - 30_000;
}

