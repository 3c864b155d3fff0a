import { globalArgs } from "../argv.ts";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { ConfigError, errorMessage, ExitCode, TempFailError, UsageError } from "../errors.ts";
import { redact } from "../redact.ts";
import { defineBagtowerCommand } from "./_shared.ts";

export interface PingFlags {
  start?: boolean;
  fail?: boolean;
  exit?: string;
  message?: string;
}

/**
 * The URL one ping goes to. A URL is used as it is (a healthchecks-style /ping/<token>, or an Uptime
 * Kuma-style /api/push/<token>, each in its own dialect); a bare token goes to /ping/<token> of
 * the receiver the agent pushes to (its first bagtower sink, else its first sink). Pure.
 */
export function pingRequest(target: string, flags: PingFlags, sinks: Config["sinks"]): { url: string; method: "GET" | "POST"; body?: string } {
  const chosen = [flags.start, flags.fail, flags.exit !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError("--start, --fail and --exit go alone: pick one");
  let exit: number | undefined;
  if (flags.exit !== undefined) {
    if (!/^\d{1,3}$/.test(flags.exit) || Number(flags.exit) > 255) throw new UsageError(`--exit ${flags.exit}: expected an exit code 0–255`);
    exit = Number(flags.exit);
  }
  let base: URL;
  if (/^https?:\/\//i.test(target)) {
    try {
      base = new URL(target);
    } catch {
      throw new UsageError(`${redact(target)}: not a valid URL`);
    }
  } else {
    if (!/^[A-Za-z0-9_-]{8,200}$/.test(target)) throw new UsageError(`${JSON.stringify(target.slice(0, 40))}: expected a check's token or its ping URL (POST /api/checks answers both)`);
    const sink = sinks.find((s) => s.format === "bagtower") ?? sinks[0];
    if (!sink) throw new ConfigError("no server to ping: give the whole ping URL, or configure a sink (bagtower push --server URL --save)");
    base = new URL(`/ping/${target}`, new URL(sink.url).origin);
  }
  const path = base.pathname.replace(/\/+$/, "");
  if (/\/api\/push\/[^/]+$/.test(path)) {
    // Uptime Kuma's dialect: status and msg in the query.
    const down = flags.fail || (exit !== undefined && exit !== 0);
    if (flags.start) throw new UsageError("--start: an Uptime Kuma push URL has no start signal (use the check's /ping/ URL)");
    base.searchParams.set("status", down ? "down" : "up");
    const msg = flags.message ?? (exit !== undefined ? `exit code ${exit}` : undefined);
    if (msg !== undefined) base.searchParams.set("msg", msg);
    return { url: base.toString(), method: "GET" };
  }
  const suffix = flags.start ? "/start" : flags.fail ? "/fail" : exit !== undefined ? `/${exit}` : "";
  base.pathname = `${path}${suffix}`;
  return flags.message === undefined ? { url: base.toString(), method: "GET" } : { url: base.toString(), method: "POST", body: flags.message };
}

const _TIMEOUT_MS = 10_000;

export default defineBagtowerCommand({
  meta: { name: "ping", description: "Tell a heartbeat check on the receiver that a job ran (or started, or failed)" },
  args: {
    ...globalArgs,
    target: { type: "positional", required: true, valueHint: "TOKEN|URL", description: "The check's token (the server is the agent's configured one) or its ping URL" },
    start: { type: "boolean", description: "The job starts now (healthchecks' /start)" },
    fail: { type: "boolean", description: "The job failed: the check's alert fires now" },
    exit: { type: "string", valueHint: "N", description: "The job's exit code: 0 is a success, anything else a failure" },
    message: { type: "string", valueHint: "TEXT", description: "A line to keep with the ping (e.g. the job's last output line)" },
  },
  async run({ args, ctx }) {
    const target = String(args.target);
    const config = /^https?:\/\//i.test(target) ? undefined : loadConfig(ctx);
    const request = pingRequest(target, args, config?.sinks ?? []);
    let response: Response;
    try {
      response = await ctx.fetch(request.url, { method: request.method, body: request.body, signal: AbortSignal.timeout(_TIMEOUT_MS), headers: { "User-Agent": "bagtower" } });
      await response.body?.cancel();
    } catch (error) {
      throw new TempFailError(`ping ${redact(request.url, [target])}: ${errorMessage(error)}`);
    }
    const shown = redact(request.url, [target]).replace(/\/(ping|api\/push)\/[^/?]+/, "/$1/***");
    if (response.status === 404) throw new ConfigError(`ping ${shown}: HTTP 404, no check has this token (GET /api/checks lists the checks)`);
    if (response.status === 429 || response.status >= 500) throw new TempFailError(`ping ${shown}: HTTP ${response.status}, try again later`);
    if (!response.ok) throw new UsageError(`ping ${shown}: HTTP ${response.status}`);
    ctx.log.info(`pinged ${shown}`);
    return { exitCode: ExitCode.ok, data: { url: shown, status: response.status } };
  },
});
