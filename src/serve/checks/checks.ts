/**
 * Heartbeat checks (what Uptime Kuma's push monitors and healthchecks.io do): a device's job pings
 * a URL with the check's token each time it runs; a check that has not heard a good ping for its
 * period (or since its cron schedule's last due run) plus its grace time fires an alert through the
 * notifier, and the next good ping resolves it. A failure ping (`/fail`, a non-zero exit code,
 * `status=down`) fires at once. The token is the only credential of the ping routes.
 */
import type { Database } from "bun:sqlite";
import * as v from "valibot";
import type { AlertTransition, NotifyTransition } from "../alerts/transition.ts";
import { CronError, nextRun, parseCron } from "./cron.ts";

export interface CheckView {
  id: number;
  name: string;
  periodSeconds: number | null;
  cron: string | null;
  graceSeconds: number;
  labels: Record<string, string>;
  status: "new" | "up" | "down";
  lastPingAt: number | null;
  lastStartAt: number | null;
  lastMessage: string | null;
  createdAt: number;
}

export type PingKind = "success" | "start" | "fail";

export interface Ping {
  kind: PingKind;
  /** Uptime Kuma's msg, or the start of a healthchecks ping's body. */
  message?: string;
  exitCode?: number;
  /** Uptime Kuma's ping (the job's own response time, ms). */
  pingMs?: number;
}

export class CheckInputError extends Error {
  override name = "CheckInputError";
}

interface _Row {
  id: number;
  name: string;
  token: string;
  period_s: number | null;
  cron: string | null;
  grace_s: number;
  labels: string;
  status: CheckView["status"];
  last_ping_at: number | null;
  last_start_at: number | null;
  last_msg: string | null;
  created_at: number;
  alert_id: number | null;
}

const _seconds = (min: number, max: number) => v.pipe(v.number("expected a number of seconds"), v.integer("expected whole seconds"), v.minValue(min, `expected at least ${min} seconds`), v.maxValue(max, `expected at most ${max} seconds`));

const checkInputSchema = v.pipe(
  v.strictObject(
    {
      name: v.pipe(v.string("expected a name"), v.trim(), v.nonEmpty("expected a name"), v.maxLength(100, "expected at most 100 characters")),
      periodSeconds: v.optional(_seconds(10, 366 * 86_400)),
      cron: v.optional(v.pipe(v.string("expected a cron expression such as \"*/5 * * * *\""), v.trim())),
      graceSeconds: v.optional(_seconds(0, 30 * 86_400), 300),
      labels: v.optional(v.record(v.string(), v.string(), "expected an object of label = value"), {}),
    },
    "unknown field (a check has name, periodSeconds or cron, graceSeconds, labels)",
  ),
  v.check((c) => (c.periodSeconds === undefined) !== (c.cron === undefined), "expected one of periodSeconds or cron"),
);

export type CheckInput = v.InferOutput<typeof checkInputSchema>;

const _summarize = (issues: v.BaseIssue<unknown>[]) => {
  const issue = issues[0]!;
  const path = issue.path?.map((p) => String(p.key)).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
};

/** When a check that last heard a good ping at `sinceS` is overdue (unix s): period or next cron run, plus grace. */
export function overdueAt(check: { period_s: number | null; cron: string | null; grace_s: number }, sinceS: number): number | undefined {
  if (check.period_s !== null) return sinceS + check.period_s + check.grace_s;
  const next = nextRun(parseCron(check.cron!), sinceS * 1000);
  return next === undefined ? undefined : next / 1000 + check.grace_s;
}

/**
 * A check's token: 18 random bytes as base64url (144 bits), except that it never starts with '-'.
 * It is pasted as a command's argument (`bagtower ping TOKEN`, `curl …/ping/TOKEN`), where a leading
 * dash reads as an option: one token in 64 did. A leading '-' becomes 'A' (under a bit of entropy lost).
 */
export function checkToken(bytes: Uint8Array): string {
  const token = Buffer.from(bytes).toString("base64url");
  return token.startsWith("-") ? `A${token.slice(1)}` : token;
}

export interface ChecksOptions {
  db: Database;
  notify: NotifyTransition;
  now: () => number;
  randomBytes: (size: number) => Uint8Array;
}

export function createChecks(options: ChecksOptions) {
  const { db, notify, now } = options;
  db.exec(`
    CREATE TABLE IF NOT EXISTS check_checks (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      token TEXT NOT NULL UNIQUE,
      period_s INTEGER,
      cron TEXT,
      grace_s INTEGER NOT NULL,
      labels TEXT NOT NULL DEFAULT '{}',
      status TEXT NOT NULL DEFAULT 'new',
      last_ping_at INTEGER,
      last_start_at INTEGER,
      last_msg TEXT,
      created_at INTEGER NOT NULL,
      alert_id INTEGER
    );
    CREATE TABLE IF NOT EXISTS check_pings (
      id INTEGER PRIMARY KEY,
      check_id INTEGER NOT NULL,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL,
      exit_code INTEGER,
      ping_ms REAL,
      message TEXT
    );
    CREATE INDEX IF NOT EXISTS check_pings_check ON check_pings (check_id, id);
    CREATE TABLE IF NOT EXISTS check_alerts (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      check_id INTEGER NOT NULL,
      fired_at INTEGER NOT NULL,
      resolved_at INTEGER
    );
  `);
  const q = {
    byToken: db.query<_Row, [string]>("SELECT * FROM check_checks WHERE token = ?"),
    byId: db.query<_Row, [number]>("SELECT * FROM check_checks WHERE id = ?"),
    all: db.query<_Row, []>("SELECT * FROM check_checks ORDER BY id"),
    watched: db.query<_Row, []>("SELECT * FROM check_checks WHERE status != 'down'"),
    insert: db.query<{ id: number }, [string, string, number | null, string | null, number, string, number]>(
      "INSERT INTO check_checks (name, token, period_s, cron, grace_s, labels, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    ),
    ping: db.query("INSERT INTO check_pings (check_id, at, kind, exit_code, ping_ms, message) VALUES (?, ?, ?, ?, ?, ?)"),
    // A check keeps its last 100 pings.
    trim: db.query("DELETE FROM check_pings WHERE check_id = ?1 AND id <= (SELECT id FROM check_pings WHERE check_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET 100)"),
    good: db.query("UPDATE check_checks SET status = 'up', last_ping_at = ?, last_msg = ?, alert_id = NULL WHERE id = ?"),
    start: db.query("UPDATE check_checks SET last_start_at = ? WHERE id = ?"),
    down: db.query("UPDATE check_checks SET status = 'down', alert_id = ?, last_msg = coalesce(?, last_msg) WHERE id = ?"),
    fire: db.query<{ id: number }, [number, number]>("INSERT INTO check_alerts (check_id, fired_at) VALUES (?, ?) RETURNING id"),
    resolve: db.query("UPDATE check_alerts SET resolved_at = ? WHERE id = ?"),
    remove: db.query("DELETE FROM check_checks WHERE id = ?"),
    removePings: db.query("DELETE FROM check_pings WHERE check_id = ?"),
  };

  const nowS = () => Math.floor(now() / 1000);
  const view = (r: _Row): CheckView => ({
    id: r.id,
    name: r.name,
    periodSeconds: r.period_s,
    cron: r.cron,
    graceSeconds: r.grace_s,
    labels: JSON.parse(r.labels) as Record<string, string>,
    status: r.status,
    lastPingAt: r.last_ping_at,
    lastStartAt: r.last_start_at,
    lastMessage: r.last_msg,
    createdAt: r.created_at,
  });

  /**
   * Check alerts are numbered in their own table; their alertId is that number negated, so it
   * never meets an id of the engine's alerts in the notification history.
   */
  const transition = (r: _Row, alertRow: number, state: AlertTransition["state"], summary: string): AlertTransition => ({
    alertId: -alertRow,
    ruleId: "check",
    ruleName: "heartbeat check",
    severity: "critical",
    deviceId: r.name,
    labels: JSON.parse(r.labels) as Record<string, string>,
    state,
    value: null,
    at: nowS(),
    summary,
  });

  function _fire(r: _Row, summary: string, message: string | null): void {
    const at = nowS();
    const alert = db.transaction(() => {
      const { id } = q.fire.get(r.id, at)!;
      q.down.run(id, message, r.id);
      return id;
    })();
    notify(transition(r, alert, "firing", summary));
  }

  function create(input: unknown): CheckView & { token: string } {
    const parsed = v.safeParse(checkInputSchema, input);
    if (!parsed.success) throw new CheckInputError(_summarize(parsed.issues));
    const c = parsed.output;
    if (c.cron !== undefined) {
      try {
        if (nextRun(parseCron(c.cron), now()) === undefined) throw new CheckInputError(`cron: ${JSON.stringify(c.cron)} never runs`);
      } catch (error) {
        if (error instanceof CronError) throw new CheckInputError(`cron: ${error.message}`);
        throw error;
      }
    }
    const token = checkToken(options.randomBytes(18));
    const { id } = q.insert.get(c.name, token, c.periodSeconds ?? null, c.cron ?? null, c.graceSeconds, JSON.stringify(c.labels), nowS())!;
    return { ...view(q.byId.get(id)!), token };
  }

  /** Records a ping; undefined when no check has that token (the route answers 404). */
  function ping(token: string, p: Ping): CheckView | undefined {
    const r = q.byToken.get(token);
    if (!r) return undefined;
    const at = nowS();
    const message = p.message === undefined ? null : p.message.slice(0, 500);
    q.ping.run(r.id, at, p.kind, p.exitCode ?? null, p.pingMs ?? null, message);
    q.trim.run(r.id);
    if (p.kind === "start") {
      q.start.run(at, r.id);
    } else if (p.kind === "success") {
      const wasDown = r.status === "down" && r.alert_id !== null;
      db.transaction(() => {
        q.good.run(at, message, r.id);
        if (wasDown) q.resolve.run(at, r.alert_id);
      })();
      if (wasDown) notify(transition(r, r.alert_id!, "resolved", `${r.name}: pinged again${message ? ` (${message})` : ""}`));
    } else if (r.status !== "down") {
      const why = p.exitCode !== undefined ? `exit code ${p.exitCode}` : "reported a failure";
      _fire(r, `${r.name}: ${why}${message ? `: ${message}` : ""}`, message);
    }
    return view(q.byId.get(r.id)!);
  }

  /** One turn of the checks job: every check not yet DOWN whose ping is overdue fires. */
  function evaluate(): void {
    const at = nowS();
    for (const r of q.watched.all()) {
      const since = r.last_ping_at ?? r.created_at;
      const due = overdueAt(r, since);
      if (due === undefined || at <= due) continue;
      const last = r.last_ping_at === null ? "never pinged" : `last ping ${at - r.last_ping_at} s ago`;
      _fire(r, `${r.name}: no ping (${last}; ${r.period_s !== null ? `every ${r.period_s} s` : `cron ${r.cron}`} + ${r.grace_s} s grace)`, null);
    }
  }

  return {
    create,
    ping,
    evaluate,
    list: () => q.all.all().map(view),
    get: (id: number) => {
      const r = q.byId.get(id);
      return r ? view(r) : undefined;
    },
    pings: (id: number) => db.query("SELECT at, kind, exit_code AS exitCode, ping_ms AS pingMs, message FROM check_pings WHERE check_id = ? ORDER BY id DESC LIMIT 100").all(id),
    remove(id: number): boolean {
      if (!q.byId.get(id)) return false;
      db.transaction(() => {
        q.remove.run(id);
        q.removePings.run(id);
      })();
      return true;
    },
    job: { name: "checks", everyMs: 5000, run: evaluate },
  };
}

export type Checks = ReturnType<typeof createChecks>;
