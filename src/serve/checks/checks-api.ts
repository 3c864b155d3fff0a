/**
 * The checks' HTTP side (routes and rights in app.ts): the admin API, and the ping routes in the
 * two dialects devices already speak: Uptime Kuma's push (`/api/push/<token>?status=up|down&msg=&ping=`,
 * answering {"ok":true}) and healthchecks.io's (`/ping/<token>[/start|/fail|/<exit code>]`, answering "OK").
 */
import { HttpError } from "../http-errors.ts";
import { CheckInputError, type Checks, type Ping } from "./checks.ts";

/** A ping's message: Uptime Kuma's msg, or the start of a healthchecks ping's body (its job's output). */
const _MAX_MESSAGE = 500;

export function parsePushQuery(params: URLSearchParams): Ping {
  const status = params.get("status") ?? "up";
  if (status !== "up" && status !== "down") throw new HttpError(400, `status: expected up or down, not ${JSON.stringify(status.slice(0, 20))}`);
  const pingText = params.get("ping");
  const pingMs = pingText === null || pingText === "" ? undefined : Number(pingText);
  if (pingMs !== undefined && !Number.isFinite(pingMs)) throw new HttpError(400, `ping: expected a number of milliseconds, not ${JSON.stringify(pingText!.slice(0, 20))}`);
  const message = params.get("msg") ?? undefined;
  return { kind: status === "up" ? "success" : "fail", message: message?.slice(0, _MAX_MESSAGE), pingMs };
}

export function parsePingAction(action: string | undefined, body: string): Ping {
  const message = body.trim() ? body.trim().slice(0, _MAX_MESSAGE) : undefined;
  if (action === undefined) return { kind: "success", message };
  if (action === "start") return { kind: "start", message };
  if (action === "fail") return { kind: "fail", message };
  if (/^\d{1,3}$/.test(action) && Number(action) <= 255) {
    const exitCode = Number(action);
    return { kind: exitCode === 0 ? "success" : "fail", exitCode, message };
  }
  throw new HttpError(404, `no ping route /${action}: expected /start, /fail or an exit code 0–255`);
}

export function checksApi(checks: Checks) {
  const urls = (base: string, token: string) => ({ pushUrl: `${base}/api/push/${token}`, pingUrl: `${base}/ping/${token}` });
  return {
    list: () => ({ checks: checks.list() }),
    create(body: unknown, base: string) {
      try {
        const check = checks.create(body);
        return { ...check, ...urls(base, check.token) };
      } catch (error) {
        if (error instanceof CheckInputError) throw new HttpError(400, error.message);
        throw error;
      }
    },
    get(id: string) {
      const check = /^\d{1,12}$/.test(id) ? checks.get(Number(id)) : undefined;
      if (!check) throw new HttpError(404, `no check ${JSON.stringify(id.slice(0, 40))}`);
      return { check, pings: checks.pings(check.id) };
    },
    remove(id: string) {
      if (!/^\d{1,12}$/.test(id) || !checks.remove(Number(id))) throw new HttpError(404, `no check ${JSON.stringify(id.slice(0, 40))}`);
      return { status: "ok", deleted: Number(id) };
    },
  };
}
