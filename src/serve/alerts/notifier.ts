/**
 * Who is told about an alert, and when. The engine calls `notify` after it committed a transition;
 * `notify` only writes outbox rows (one short SQLite transaction, never a network call), and the
 * `notify` job delivers them: a group of transitions of the same rule and change within the group
 * window becomes one message, each channel has at most one delivery in flight (a dead or slow one
 * holds only itself), failed attempts come back with exponential backoff and jitter until the
 * give-up time, and every attempt is written to alert_notifications in the same transaction that
 * marks the message sent, so a restart resends nothing that was recorded as sent.
 */
import type { Database } from "bun:sqlite";
import * as v from "valibot";
import { errorMessage } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { redact } from "../../redact.ts";
import type { Job } from "../jobs/schedule.ts";
import { type ChannelPatch, type ChannelSettings, channelPatchSchema, channelSettingsSchema, inQuietHours, type QuietHours } from "./channel-settings.ts";
import { type ChannelKind, parseChannelUrl, type ParsedChannel } from "./channel-url.ts";
import { sendToChannel } from "./channels/index.ts";
import { type DeliveryOutcome, SERVICE_ENDPOINTS, type ServiceEndpoints } from "./channels/types.ts";
import { buildMessage, type MessageKind, testTransition } from "./message.ts";
import { prepareNotifierTables } from "./outbox-tables.ts";
import type { AlertTransition, NotifyTransition } from "./transition.ts";

export type ChannelSource = "flag" | "config" | "api";

export interface NotifierOptions {
  db: Database;
  log: Logger;
  /** Milliseconds, the receiver's clock. */
  now: () => number;
  fetch?: typeof fetch;
  /** Uniform in [0, 1), for the backoff's jitter. */
  random?: () => number;
  /** Transitions of the same rule and change this close together go out as one message (default 30 s). */
  groupWindowMs?: number;
  /**
   * A resolved message waits this long (from the first resolution of its group) and is dropped,
   * together with the new firing, when the alert fires again meanwhile: flap damping. A number, or
   * the window of each rule (the engine knows its rules' durations). Default 60 s.
   */
  flapWindowMs?: number | ((ruleId: string) => number);
  /** One attempt's deadline: connect, send, read the reply (default 10 s). */
  timeoutMs?: number;
  /** A message still not delivered this long after it was first tried is given up (default 24 h). */
  giveUpMs?: number;
  /** The first retry comes after about this long, doubling up to retryCapMs (defaults 30 s and 1 h). */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** The history of attempts (and finished messages) is kept this long (default 30 days; serve passes --retention). */
  historyMs?: number;
  /** When serve stops, deliveries in flight get this long to finish before they are cut (default 2 s). */
  stopGraceMs?: number;
  /** Certificates to trust besides the system's (PEM) for SMTP and MQTT over TLS. */
  tlsCa?: string;
  /** The hosted services' base URLs (discord, slack, telegram); tests aim them at a local receiver. */
  endpoints?: Partial<ServiceEndpoints>;
}

/** A channel as the read API shows it: the URL with its secrets as ***. */
export interface ChannelView {
  id: number;
  kind: ChannelKind;
  url: string;
  name: string;
  rules: string[];
  labels: Record<string, string>;
  quietHours: QuietHours | null;
  /** Seconds; 0: never. */
  resendIntervalSeconds: number;
  template: string | null;
  source: ChannelSource;
  createdAt: number;
}

interface _Channel {
  id: number;
  url: string;
  name: string;
  rules: string[];
  labels: Record<string, string>;
  quietHours: QuietHours | null;
  resendMs: number;
  template: string | null;
  source: ChannelSource;
  createdAt: number;
  parsed: ParsedChannel;
}

interface _ChannelRow {
  id: number;
  url: string;
  name: string;
  rules: string;
  labels: string;
  quiet_hours: string | null;
  resend_ms: number;
  template: string | null;
  source: ChannelSource;
  created_at: number;
}

interface _Batch {
  id: number;
  channel_id: number;
  kind: MessageKind;
  created_at: number;
  attempts: number;
  next_at: number;
  give_up_at: number;
}

export interface NotificationAttempt {
  alertId: number;
  channelId: number;
  kind: string;
  attempt: number;
  /** sent, retry, rejected, gave-up, damped (flap damping dropped it), cancelled (resolved before it went out). */
  outcome: string;
  detail: string;
  /** Unix seconds. */
  at: number;
}

export class ChannelInputError extends Error {
  override name = "ChannelInputError";
}

export class ChannelNotFoundError extends ChannelInputError {
  override name = "ChannelNotFoundError";
}

/** Who a channel hears: its rules (none: all) and a label selector (every label must match). */
export function routes(channel: { rules: string[]; labels: Record<string, string> }, transition: AlertTransition): boolean {
  if (channel.rules.length > 0 && !channel.rules.includes(transition.ruleId)) return false;
  for (const [name, value] of Object.entries(channel.labels)) if (transition.labels[name] !== value) return false;
  return true;
}

/** Exponential backoff with jitter: base × 2^(attempt-1), capped, then uniform in [half, whole]. */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number, random01: number): number {
  const full = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (full / 2) * random01);
}

const _view = (c: _Channel): ChannelView => ({
  id: c.id,
  kind: c.parsed.target.kind,
  url: c.parsed.display,
  name: c.name,
  rules: c.rules,
  labels: c.labels,
  quietHours: c.quietHours,
  resendIntervalSeconds: Math.round(c.resendMs / 1000),
  template: c.template,
  source: c.source,
  createdAt: c.createdAt,
});

function _summarize(issues: v.BaseIssue<unknown>[]): string {
  const issue = issues[0]!;
  const path = issue.path?.map((p) => String(p.key)).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

export function parseChannelSettings(input: unknown): ChannelSettings {
  const parsed = v.safeParse(channelSettingsSchema, input);
  if (!parsed.success) throw new ChannelInputError(_summarize(parsed.issues));
  return parsed.output;
}

export function createNotifier(options: NotifierOptions) {
  const { db, log, now } = options;
  const groupWindowMs = options.groupWindowMs ?? 30_000;
  const flapWindow = (ruleId: string) => (typeof options.flapWindowMs === "function" ? options.flapWindowMs(ruleId) : (options.flapWindowMs ?? 60_000));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const giveUpMs = options.giveUpMs ?? 86_400_000;
  const retryBaseMs = options.retryBaseMs ?? 30_000;
  const retryCapMs = options.retryCapMs ?? 3_600_000;
  const random = options.random ?? Math.random;
  const endpoints = { ...SERVICE_ENDPOINTS, ...options.endpoints };
  const fetchFn = options.fetch ?? globalThis.fetch;
  prepareNotifierTables(db);

  const q = {
    channels: db.query<_ChannelRow, []>("SELECT * FROM alert_channels ORDER BY id"),
    insertChannel: db.query<{ id: number }, [string, string, string, string, string | null, number, string | null, string, number]>(
      "INSERT INTO alert_channels (url, name, rules, labels, quiet_hours, resend_ms, template, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    ),
    updateChannel: db.query("UPDATE alert_channels SET url = ?, name = ?, rules = ?, labels = ?, quiet_hours = ?, resend_ms = ?, template = ? WHERE id = ?"),
    deleteChannel: db.query("DELETE FROM alert_channels WHERE id = ?"),
    enqueue: db.query("INSERT INTO alert_notifications_outbox (channel_id, group_key, kind, alert_id, rule_id, device_id, transition, queued_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    openResolved: db.query<{ id: number; alert_id: number }, [number, string, string]>(
      "SELECT id, alert_id FROM alert_notifications_outbox WHERE channel_id = ? AND kind = 'resolved' AND rule_id = ? AND device_id = ? AND batch_id IS NULL",
    ),
    anyOpenResolved: db.query<{ one: number }, []>("SELECT 1 AS one FROM alert_notifications_outbox WHERE kind = 'resolved' AND batch_id IS NULL LIMIT 1"),
    openFiring: db.query<{ id: number }, [number, number]>("SELECT id FROM alert_notifications_outbox WHERE channel_id = ? AND kind = 'firing' AND alert_id = ? AND batch_id IS NULL"),
    deleteRow: db.query("DELETE FROM alert_notifications_outbox WHERE id = ?"),
    upsertFiring: db.query("INSERT OR REPLACE INTO alert_notifications_firing (channel_id, alert_id, transition, next_resend_at) VALUES (?, ?, ?, ?)"),
    deleteFiring: db.query("DELETE FROM alert_notifications_firing WHERE channel_id = ? AND alert_id = ?"),
    dueResends: db.query<{ alert_id: number; transition: string }, [number, number]>("SELECT alert_id, transition FROM alert_notifications_firing WHERE channel_id = ? AND next_resend_at <= ?"),
    pushResend: db.query("UPDATE alert_notifications_firing SET next_resend_at = ? WHERE channel_id = ? AND alert_id = ?"),
    dueBatch: db.query<_Batch, [number, number]>("SELECT * FROM alert_notifications_batches WHERE channel_id = ? AND state = 'pending' AND next_at <= ? ORDER BY id LIMIT 1"),
    oldestOpen: db.query<{ group_key: string; kind: MessageKind; due_at: number }, [number]>(
      "SELECT group_key, kind, due_at FROM alert_notifications_outbox WHERE channel_id = ? AND batch_id IS NULL ORDER BY due_at, id LIMIT 1",
    ),
    newBatch: db.query<_Batch, [number, string, number, number, number]>(
      "INSERT INTO alert_notifications_batches (channel_id, kind, created_at, next_at, give_up_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
    ),
    claim: db.query("UPDATE alert_notifications_outbox SET batch_id = ? WHERE channel_id = ? AND group_key = ? AND batch_id IS NULL AND queued_at <= ?"),
    batchRows: db.query<{ alert_id: number; transition: string }, [number]>("SELECT alert_id, transition FROM alert_notifications_outbox WHERE batch_id = ? ORDER BY id"),
    finishBatch: db.query("UPDATE alert_notifications_batches SET state = ?, attempts = ?, done_at = ?, detail = ? WHERE id = ?"),
    retryBatch: db.query("UPDATE alert_notifications_batches SET attempts = ?, next_at = ?, detail = ? WHERE id = ?"),
    dropBatchRows: db.query("DELETE FROM alert_notifications_outbox WHERE batch_id = ?"),
    pruneHistory: db.query("DELETE FROM alert_notifications WHERE at < ?"),
    pruneBatches: db.query("DELETE FROM alert_notifications_batches WHERE state != 'pending' AND done_at < ?"),
    history: db.query("INSERT INTO alert_notifications (alert_id, channel_id, batch_id, kind, attempt, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
  };

  let channels: _Channel[] = [];
  function reload(): void {
    const next: _Channel[] = [];
    for (const row of q.channels.all()) {
      try {
        next.push({
          id: row.id,
          url: row.url,
          name: row.name,
          rules: JSON.parse(row.rules) as string[],
          labels: JSON.parse(row.labels) as Record<string, string>,
          quietHours: row.quiet_hours ? (JSON.parse(row.quiet_hours) as QuietHours) : null,
          resendMs: row.resend_ms,
          template: row.template,
          source: row.source,
          createdAt: row.created_at,
          parsed: parseChannelUrl(row.url),
        });
      } catch (error) {
        // A row written by a newer version (a kind this one does not know) stays, unused.
        log.warn(`channel ${row.id}: ${errorMessage(error)}; skipped`);
      }
    }
    channels = next;
  }
  reload();

  const _secretsOf = (channel: _Channel) => channel.parsed.secrets;
  const _label = (channel: _Channel) => `channel ${channel.id} (${channel.parsed.display})`;

  function _history(alertId: number, channelId: number, batchId: number | null, kind: string, attempt: number, outcome: string, detail: string): void {
    q.history.run(alertId, channelId, batchId, kind, attempt, outcome, detail, Math.floor(now() / 1000));
  }

  /** Many transitions in one transaction (1,000 devices going DOWN at once are one commit). */
  function notifyAll(transitions: AlertTransition[]): void {
    if (channels.length === 0 || transitions.length === 0) return;
    const nowMs = now();
    db.transaction(() => {
      // Most bursts have no resolved message waiting: then no transition needs the damping lookup.
      const damping = q.anyOpenResolved.get() !== null;
      for (const transition of transitions) _enqueue(transition, nowMs, damping);
    })();
  }

  function _enqueue(transition: AlertTransition, nowMs: number, damping: boolean): void {
    const targets = channels.filter((c) => routes(c, transition));
    if (targets.length === 0) return;
    const json = JSON.stringify(transition);
    for (const channel of targets) {
      if (transition.state === "firing") {
        // Flap damping: it resolved moments ago and that message has not gone out; neither goes.
        const resolved = damping ? q.openResolved.all(channel.id, transition.ruleId, transition.deviceId) : [];
        if (resolved.length > 0) {
          for (const row of resolved) {
            q.deleteRow.run(row.id);
            _history(row.alert_id, channel.id, null, "resolved", 0, "damped", `fired again as alert ${transition.alertId} within the flap window`);
          }
          _history(transition.alertId, channel.id, null, "firing", 0, "damped", "fired again within the flap window after it resolved; not told again");
        } else {
          q.enqueue.run(channel.id, `firing:${transition.ruleId}`, "firing", transition.alertId, transition.ruleId, transition.deviceId, json, nowMs, nowMs + groupWindowMs);
        }
        if (channel.resendMs > 0) q.upsertFiring.run(channel.id, transition.alertId, json, nowMs + channel.resendMs);
      } else {
        q.deleteFiring.run(channel.id, transition.alertId);
        // Fired and resolved before anyone was told (inside the group window): nobody needs either.
        const firing = q.openFiring.get(channel.id, transition.alertId);
        if (firing) {
          q.deleteRow.run(firing.id);
          _history(transition.alertId, channel.id, null, "firing", 0, "cancelled", "resolved before the message went out");
          continue;
        }
        const hold = Math.max(groupWindowMs, flapWindow(transition.ruleId));
        q.enqueue.run(channel.id, `resolved:${transition.ruleId}`, "resolved", transition.alertId, transition.ruleId, transition.deviceId, json, nowMs, nowMs + hold);
      }
    }
  }

  const notify: NotifyTransition = (transition) => notifyAll([transition]);

  const busy = new Map<number, Promise<void>>();
  const shutdown = new AbortController();
  let stopping = false;

  /** The batch due next on a channel: a retry whose time came, or the open rows of the group due first. */
  function _nextBatch(channel: _Channel, nowMs: number): _Batch | null {
    const due = q.dueBatch.get(channel.id, nowMs);
    if (due) return due;
    if (channel.resendMs > 0) {
      for (const row of q.dueResends.all(channel.id, nowMs)) {
        q.enqueue.run(channel.id, "resend", "resend", row.alert_id, "", "", row.transition, nowMs, nowMs);
        q.pushResend.run(nowMs + channel.resendMs, channel.id, row.alert_id);
      }
    }
    const oldest = q.oldestOpen.get(channel.id);
    if (!oldest || oldest.due_at > nowMs) return null;
    const batch = q.newBatch.get(channel.id, oldest.kind, nowMs, nowMs, nowMs + giveUpMs)!;
    q.claim.run(batch.id, channel.id, oldest.group_key, nowMs);
    return batch;
  }

  async function _deliver(channel: _Channel, batch: _Batch): Promise<void> {
    const rows = q.batchRows.all(batch.id);
    const attempt = batch.attempts + 1;
    let outcome: DeliveryOutcome;
    if (rows.length === 0) {
      outcome = { kind: "rejected", detail: "nothing left to send" };
    } else {
      const message = buildMessage(batch.kind, rows.map((r) => JSON.parse(r.transition) as AlertTransition));
      try {
        outcome = await sendToChannel(channel.parsed.target, message, { fetch: fetchFn, timeoutMs, now, endpoints, tlsCa: options.tlsCa, signal: shutdown.signal, template: channel.template ?? undefined });
      } catch (error) {
        outcome = { kind: "retry", detail: errorMessage(error) };
      }
    }
    // Stopping: nothing is recorded, so the message is tried again after the restart (the store closes next).
    if (shutdown.signal.aborted) return;
    const detail = redact(outcome.detail, _secretsOf(channel)).slice(0, 500);
    const nowMs = now();
    const givingUp = outcome.kind === "retry" && nowMs >= batch.give_up_at;
    const alertIds = [...new Set(rows.map((r) => r.alert_id))];
    db.transaction(() => {
      const recorded = givingUp ? "gave-up" : outcome.kind;
      for (const alertId of alertIds) _history(alertId, channel.id, batch.id, batch.kind, attempt, recorded, detail);
      if (outcome.kind === "retry" && !givingUp) {
        const delay = Math.max(retryDelayMs(attempt, retryBaseMs, retryCapMs, random()), outcome.retryAfterMs ?? 0);
        q.retryBatch.run(attempt, nowMs + delay, detail, batch.id);
      } else {
        q.finishBatch.run(outcome.kind === "sent" ? "sent" : "failed", attempt, nowMs, detail, batch.id);
        q.dropBatchRows.run(batch.id);
      }
    })();
    if (outcome.kind !== "sent") log.warn(`${_label(channel)}: ${batch.kind} message about ${alertIds.length} alert(s), attempt ${attempt}: ${detail}${givingUp ? " (given up)" : outcome.kind === "rejected" ? " (not retried)" : ""}`);
  }

  /** One turn of the delivery job: start a delivery on every idle channel that has one due. Returns at once. */
  let prunedAt = Number.NEGATIVE_INFINITY;
  /** Once an hour: attempts and finished messages older than the history's time go. */
  function _prune(nowMs: number): void {
    if (nowMs - prunedAt < 3_600_000) return;
    prunedAt = nowMs;
    const cutoffMs = nowMs - (options.historyMs ?? 30 * 86_400_000);
    db.transaction(() => {
      q.pruneHistory.run(Math.floor(cutoffMs / 1000));
      q.pruneBatches.run(cutoffMs);
    })();
  }

  function turn(): void {
    if (stopping) return;
    const nowMs = now();
    _prune(nowMs);
    for (const channel of channels) {
      if (busy.has(channel.id) || inQuietHours(channel.quietHours, nowMs)) continue;
      const batch = db.transaction(() => _nextBatch(channel, nowMs))();
      if (!batch) continue;
      const running = _deliver(channel, batch)
        .catch((error) => log.error(`${_label(channel)}: ${errorMessage(error)}`))
        .finally(() => busy.delete(channel.id));
      busy.set(channel.id, running);
    }
  }

  const settled = async () => {
    while (busy.size > 0) await Promise.all(busy.values());
  };

  function _find(id: number): _Channel {
    const channel = channels.find((c) => c.id === id);
    if (!channel) throw new ChannelNotFoundError(`no channel ${id} (GET /api/channels lists them)`);
    return channel;
  }

  const _store = (s: ChannelSettings) =>
    [s.url, s.name ?? "", JSON.stringify(s.rules ?? []), JSON.stringify(s.labels ?? {}), s.quietHours ? JSON.stringify(s.quietHours) : null, s.resendInterval ?? 0, s.template ?? null] as const;

  function add(input: unknown, source: ChannelSource = "api"): ChannelView {
    const settings = parseChannelSettings(input);
    const { id } = q.insertChannel.get(..._store(settings), source, Math.floor(now() / 1000))!;
    reload();
    return _view(_find(id));
  }

  function update(id: number, input: unknown): ChannelView {
    const channel = _find(id);
    const parsed = v.safeParse(channelPatchSchema, input);
    if (!parsed.success) throw new ChannelInputError(_summarize(parsed.issues));
    const patch: ChannelPatch = parsed.output;
    const current: ChannelSettings = {
      url: channel.url,
      name: channel.name,
      rules: channel.rules,
      labels: channel.labels,
      quietHours: channel.quietHours,
      resendInterval: channel.resendMs,
      template: channel.template,
    };
    const merged = Object.fromEntries(Object.entries({ ...current, ...patch }).filter(([, value]) => value !== undefined)) as ChannelSettings;
    q.updateChannel.run(..._store(merged), id);
    reload();
    return _view(_find(id));
  }

  function remove(id: number): void {
    _find(id);
    db.transaction(() => {
      q.deleteChannel.run(id);
      db.query("DELETE FROM alert_notifications_outbox WHERE channel_id = ?").run(id);
      db.query("UPDATE alert_notifications_batches SET state = 'failed', detail = 'channel deleted' WHERE channel_id = ? AND state = 'pending'").run(id);
      db.query("DELETE FROM alert_notifications_firing WHERE channel_id = ?").run(id);
    })();
    reload();
  }

  /**
   * The channels of one source (`--channel` flags, config `serve.channels`) made what the start-up
   * says: kept when the same URL is there still (so their history and outbox stay theirs), added,
   * and removed when gone. Throws ChannelInputError naming the first bad one.
   */
  function syncChannels(source: Exclude<ChannelSource, "api">, inputs: unknown[]): void {
    const wanted = inputs.map((input, i) => {
      try {
        return parseChannelSettings(input);
      } catch (error) {
        throw new ChannelInputError(`${source === "flag" ? "--channel" : `serve.channels[${i}]`}: ${errorMessage(error)}`);
      }
    });
    const existing = channels.filter((c) => c.source === source);
    const kept = new Set<number>();
    for (const settings of wanted) {
      const same = existing.find((c) => c.url === settings.url && !kept.has(c.id));
      if (same) {
        kept.add(same.id);
        q.updateChannel.run(..._store(settings), same.id);
      } else {
        kept.add(q.insertChannel.get(..._store(settings), source, Math.floor(now() / 1000))!.id);
      }
    }
    reload();
    for (const channel of existing) if (!kept.has(channel.id)) remove(channel.id);
  }

  /** Sends a test message now, outside the outbox, and says how it went. */
  async function test(id: number): Promise<{ ok: boolean; outcome: DeliveryOutcome["kind"]; detail: string }> {
    const channel = _find(id);
    const message = buildMessage("test", [testTransition(now(), id)]);
    let outcome: DeliveryOutcome;
    try {
      outcome = await sendToChannel(channel.parsed.target, message, { fetch: fetchFn, timeoutMs, now, endpoints, tlsCa: options.tlsCa, template: channel.template ?? undefined });
    } catch (error) {
      outcome = { kind: "retry", detail: errorMessage(error) };
    }
    const detail = redact(outcome.detail, _secretsOf(channel)).slice(0, 500);
    _history(0, id, null, "test", 1, outcome.kind, detail);
    return { ok: outcome.kind === "sent", outcome: outcome.kind, detail };
  }

  function attempts(filter: { alertId?: number; channelId?: number; limit?: number } = {}): NotificationAttempt[] {
    const where: string[] = [];
    const args: number[] = [];
    if (filter.alertId !== undefined) where.push("alert_id = ?"), args.push(filter.alertId);
    if (filter.channelId !== undefined) where.push("channel_id = ?"), args.push(filter.channelId);
    args.push(Math.min(filter.limit ?? 100, 1000));
    const rows = db
      .query(`SELECT alert_id, channel_id, kind, attempt, outcome, detail, at FROM alert_notifications ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`)
      .all(...args) as { alert_id: number; channel_id: number; kind: string; attempt: number; outcome: string; detail: string; at: number }[];
    return rows.map((r) => ({ alertId: r.alert_id, channelId: r.channel_id, kind: r.kind, attempt: r.attempt, outcome: r.outcome, detail: r.detail, at: r.at }));
  }

  /** What is waiting: open transitions and messages in retry, per channel (for /metrics and tests). */
  function pending(): { queued: number; retrying: number } {
    const queued = (db.query("SELECT count(*) AS n FROM alert_notifications_outbox WHERE batch_id IS NULL").get() as { n: number }).n;
    const retrying = (db.query("SELECT count(*) AS n FROM alert_notifications_batches WHERE state = 'pending'").get() as { n: number }).n;
    return { queued, retrying };
  }

  /**
   * Starts no more deliveries; those in flight get a short grace to finish and be recorded (one cut
   * after the service accepted it would be sent again after the restart), then are cut.
   */
  async function close(): Promise<void> {
    stopping = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([settled(), new Promise<void>((resolve) => (timer = setTimeout(resolve, options.stopGraceMs ?? 2000)))]);
    clearTimeout(timer);
    shutdown.abort();
    await settled();
  }

  const job: Job = { name: "notify", everyMs: 1000, atStart: true, run: turn, settled: close };

  return {
    notify,
    notifyAll,
    /** Whether any channel is configured (with none, nothing is queued or remembered). */
    hasChannels: () => channels.length > 0,
    job,
    turn,
    settled,
    close,
    channels: {
      list: () => channels.map(_view),
      get: (id: number) => _view(_find(id)),
      add,
      update,
      remove,
      test,
      sourceOf: (id: number) => _find(id).source,
    },
    syncChannels,
    attempts,
    pending,
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
