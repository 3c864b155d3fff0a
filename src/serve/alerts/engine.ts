// The alert engine: each (rule, device, key) alert goes pending → firing → resolved in the
// database, on ingest (evaluate), on the DOWN check (down, up) and on time (tick, for `for`).
// Open alerts are also kept in memory, read from the database at start: a record that changes
// nothing costs map lookups, no query, and a restart neither forgets nor repeats a transition.
import type { Database } from "bun:sqlite";
import { errorMessage } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { EventHub } from "../events.ts";
import { compare, formatDurationMs, parseRuleExpr, severityOf, type RuleExpr } from "./rule-expr.ts";
import { listRules } from "./rules.ts";
import { prepareAlertSchema } from "./schema.ts";
import type { AlertSeverity, AlertTransition, NotifyTransition } from "./transition.ts";

export type AlertState = "pending" | "firing" | "resolved";

export interface AlertEngineOptions {
  db: Database;
  events: EventHub;
  /** Told of every firing and resolved (of an alert that fired), after its commit. */
  notify?: NotifyTransition;
  /**
   * The same, a committed batch at once (10,000 devices going DOWN are one call): the notifier
   * writes them in one transaction of its own. Used instead of `notify` when given.
   */
  notifyAll?: (transitions: AlertTransition[]) => void;
  now: () => number;
  log: Logger;
  /** A device's labels, for label selectors and for the notifier's routing. */
  labelsOf: (deviceId: string) => Record<string, string> | undefined;
  /** The devices DOWN now: a down rule made while they are down covers them too. */
  downDevices: () => { id: string; lastSeen: number }[];
}

interface _Rule {
  id: string;
  name: string;
  expr: string;
  parsed: RuleExpr;
  severity: AlertSeverity;
}

interface _Open {
  id: number;
  ruleId: string;
  ruleExpr: string;
  ruleName: string;
  severity: AlertSeverity;
  deviceId: string;
  key: string;
  state: "pending" | "firing";
  value: number | null;
  summary: string;
  startedAt: number;
  firedAt: number | null;
}

/** An alert as the API and the dashboard show it. */
export interface AlertView {
  id: number;
  rule: string;
  ruleName: string;
  severity: AlertSeverity;
  deviceId: string;
  key: string | null;
  state: AlertState;
  value: number | null;
  message: string;
  /** When it fired (pending: when the condition began), ISO 8601. */
  since: string;
  startedAt: string;
  firedAt: string | null;
  resolvedAt: string | null;
}

export interface AlertQuery {
  state: AlertState | "open" | "all";
  deviceId?: string;
  limit: number;
  /** The last id of the previous page (pages go from the newest alert back). */
  before?: number;
}

type _Values = Record<string, unknown>;

const _iso = (s: number | null) => (s === null ? null : new Date(s * 1000).toISOString());
const _round = (n: number) => String(Math.round(n * 100) / 100);
const _openKey = (ruleId: string, key: string) => `${ruleId}\u0000${key}`;

/** The numbers a threshold rule looks at in an item's value, by key ("" for a scalar). */
function _valuesOf(rule: RuleExpr, value: unknown): [string, number][] {
  if (rule.condition.kind !== "threshold") return [];
  const key = rule.condition.key;
  if (typeof value === "number") return key === null && Number.isFinite(value) ? [["", value]] : [];
  if (!value || typeof value !== "object") return [];
  // An item with keys, named alone, is watched key by key, as ITEM.*.
  if (key === null || key === "*") return Object.entries(value as _Values).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]));
  const one = (value as _Values)[key];
  return typeof one === "number" && Number.isFinite(one) ? [[key, one]] : [];
}

function _selects(rule: RuleExpr, deviceId: string, labels: () => Record<string, string> | undefined): boolean {
  const s = rule.selector;
  if (!s) return true;
  if (s.kind === "device") return s.id === deviceId;
  return labels()?.[s.name] === s.value;
}

function _what(rule: _Rule, key: string): string {
  const c = rule.parsed.condition;
  if (c.kind === "down") return "down";
  return `${c.item}${key === "" ? "" : `.${key}`}`;
}

export function createAlertEngine(options: AlertEngineOptions) {
  const { db, events, now, log } = options;
  prepareAlertSchema(db);
  let rules: _Rule[] = [];
  let downRules: _Rule[] = [];
  /** Threshold rules by item: a record's items pick theirs without looking at the others. */
  let byItem = new Map<string, _Rule[]>();
  /** Whether any rule has a selector: only then can a device's labels or id let go of an alert. */
  let anySelector = false;
  /** Open alerts: device → (rule, key) → alert. */
  let open = new Map<string, Map<string, _Open>>();
  const q = {
    insert: db.query(
      "INSERT INTO alert_state (rule_id, rule_name, severity, device_id, key, state, value, summary, started_at, fired_at, rule_expr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    ),
    fire: db.query("UPDATE alert_state SET state = 'firing', value = ?, summary = ?, fired_at = ? WHERE id = ?"),
    resolve: db.query("UPDATE alert_state SET state = 'resolved', value = ?, summary = ?, resolved_at = ? WHERE id = ?"),
    drop: db.query("DELETE FROM alert_state WHERE id = ?"),
    history: db.query("INSERT INTO alert_history (alert_id, at, state, value, summary) VALUES (?, ?, ?, ?, ?)"),
  };

  // Writes of one operation go in one transaction, begun at the first; transitions are told after its commit.
  let inTransaction = false;
  let told: { view: Record<string, unknown>; transition?: AlertTransition }[] = [];
  function _write(run: () => void): void {
    if (!inTransaction) {
      db.exec("BEGIN IMMEDIATE");
      inTransaction = true;
    }
    run();
  }
  function _batch<T>(work: () => T): T {
    let result: T;
    try {
      result = work();
      if (inTransaction) db.exec("COMMIT");
    } catch (error) {
      if (inTransaction) db.exec("ROLLBACK");
      told = [];
      _loadOpen(); // memory went ahead of the rolled-back rows
      throw error;
    } finally {
      inTransaction = false;
    }
    const out = told;
    told = [];
    for (const { view } of out) events.publish("alert", view);
    const transitions = out.flatMap((t) => (t.transition ? [t.transition] : []));
    if (transitions.length) _notify(transitions);
    return result;
  }

  /** A notifier that fails is logged: the alerts are committed, and ingest goes on. */
  function _notify(transitions: AlertTransition[]): void {
    const calls: [AlertTransition[], () => void][] = options.notifyAll
      ? [[transitions, () => options.notifyAll!(transitions)]]
      : options.notify
        ? transitions.map((t) => [[t], () => options.notify!(t)])
        : [];
    for (const [about, call] of calls) {
      try {
        call();
      } catch (error) {
        log.error(`alerts ${about.map((t) => t.alertId).join(", ")}: the notifier failed: ${errorMessage(error)}`);
      }
    }
  }

  function _loadOpen(): void {
    open = new Map();
    for (const r of db.query("SELECT * FROM alert_state WHERE state != 'resolved'").all() as Record<string, unknown>[]) {
      const alert: _Open = {
        id: r.id as number,
        ruleId: r.rule_id as string,
        ruleExpr: r.rule_expr as string,
        ruleName: r.rule_name as string,
        severity: r.severity as AlertSeverity,
        deviceId: r.device_id as string,
        key: r.key as string,
        state: r.state as "pending" | "firing",
        value: r.value as number | null,
        summary: r.summary as string,
        startedAt: r.started_at as number,
        firedAt: r.fired_at as number | null,
      };
      _openOf(alert.deviceId).set(_openKey(alert.ruleId, alert.key), alert);
    }
  }

  function _openOf(deviceId: string): Map<string, _Open> {
    let forDevice = open.get(deviceId);
    if (!forDevice) open.set(deviceId, (forDevice = new Map()));
    return forDevice;
  }

  function _tell(alert: _Open, state: AlertState, at: number, notify: boolean): void {
    const view = { alertId: alert.id, deviceId: alert.deviceId, rule: alert.ruleId, ruleName: alert.ruleName, severity: alert.severity, key: alert.key || null, state, value: alert.value, message: alert.summary };
    const transition: AlertTransition | undefined = notify
      ? {
          alertId: alert.id,
          ruleId: alert.ruleId,
          ruleName: alert.ruleName,
          severity: alert.severity,
          deviceId: alert.deviceId,
          labels: options.labelsOf(alert.deviceId) ?? {},
          state: state as "firing" | "resolved",
          value: alert.value,
          at,
          summary: alert.summary,
        }
      : undefined;
    told.push({ view, transition });
  }

  function _summary(rule: _Rule, deviceId: string, key: string, value: number | null, detail?: string): string {
    const c = rule.parsed.condition;
    const held = rule.parsed.forMs > 0 ? ` for ${formatDurationMs(rule.parsed.forMs)}` : "";
    if (c.kind === "down") return `${deviceId}: down${held}${detail ? `, ${detail}` : ""}`;
    return `${deviceId}: ${_what(rule, key)} ${value === null ? "?" : _round(value)} ${c.op} ${_round(c.threshold)}${held}`;
  }

  function _fire(alert: _Open, rule: _Rule, nowS: number): void {
    alert.state = "firing";
    alert.firedAt = nowS;
    alert.summary = _summary(rule, alert.deviceId, alert.key, alert.value, alert.summary.split(", ").slice(1).join(", ") || undefined);
    _write(() => {
      q.fire.run(alert.value, alert.summary, nowS, alert.id);
      q.history.run(alert.id, nowS, "firing", alert.value, alert.summary);
    });
    _tell(alert, "firing", nowS, true);
  }

  /** The condition stopped holding (or its rule went): a firing alert resolves, a pending one is forgotten. */
  function _clear(alert: _Open, nowS: number, value: number | null, why: string): void {
    open.get(alert.deviceId)?.delete(_openKey(alert.ruleId, alert.key));
    if (alert.state === "pending") {
      _write(() => q.drop.run(alert.id));
      alert.summary = `${alert.deviceId}: ${why}`;
      _tell(alert, "resolved", nowS, false);
      return;
    }
    alert.value = value;
    alert.summary = `${alert.deviceId}: ${why}`;
    _write(() => {
      q.resolve.run(value, alert.summary, nowS, alert.id);
      q.history.run(alert.id, nowS, "resolved", value, alert.summary);
    });
    _tell(alert, "resolved", nowS, true);
  }

  /** One (rule, device, key): the condition holds or not, now. */
  function _step(rule: _Rule, deviceId: string, key: string, holds: boolean, value: number | null, nowS: number, detail?: string): void {
    const forDevice = open.get(deviceId);
    const alert = forDevice?.get(_openKey(rule.id, key));
    if (!holds) {
      if (!alert) return;
      const c = rule.parsed.condition;
      const why = c.kind === "down" ? "up again" : `${_what(rule, key)} ${value === null ? "?" : _round(value)}, no longer ${c.op} ${_round(c.threshold)}`;
      _clear(alert, nowS, value, why);
      return;
    }
    if (alert) {
      alert.value = value;
      if (alert.state === "pending" && (nowS - alert.startedAt) * 1000 >= rule.parsed.forMs) _fire(alert, rule, nowS);
      return;
    }
    const firing = rule.parsed.forMs === 0;
    const summary = _summary(rule, deviceId, key, value, detail);
    const created: _Open = { id: 0, ruleId: rule.id, ruleExpr: rule.expr, ruleName: rule.name, severity: rule.severity, deviceId, key, state: firing ? "firing" : "pending", value, summary, startedAt: nowS, firedAt: firing ? nowS : null };
    _write(() => {
      created.id = (q.insert.get(rule.id, rule.name, rule.severity, deviceId, key, created.state, value, summary, nowS, created.firedAt, rule.expr) as { id: number }).id;
      if (firing) q.history.run(created.id, nowS, "firing", value, summary);
    });
    _openOf(deviceId).set(_openKey(rule.id, key), created);
    _tell(created, created.state, nowS, firing);
  }

  const _nowS = () => Math.floor(now() / 1000);

  /** Reads the rules again (after a change): alerts of a deleted or changed rule resolve; down rules cover devices already DOWN. */
  function reloadRules(): void {
    const loaded: _Rule[] = listRules(db).map((r) => {
      const parsed = parseRuleExpr(r.expr);
      return { id: r.id, name: r.name, expr: r.expr, parsed, severity: severityOf(parsed) };
    });
    rules = loaded;
    downRules = loaded.filter((r) => r.parsed.condition.kind === "down");
    byItem = new Map();
    for (const rule of loaded) {
      const c = rule.parsed.condition;
      if (c.kind === "threshold") byItem.set(c.item, [...(byItem.get(c.item) ?? []), rule]);
    }
    anySelector = loaded.some((r) => r.parsed.selector);
    const byId = new Map(loaded.map((r) => [r.id, r]));
    _batch(() => {
      const nowS = _nowS();
      for (const forDevice of [...open.values()]) {
        for (const alert of [...forDevice.values()]) {
          const rule = byId.get(alert.ruleId);
          if (!rule) _clear(alert, nowS, alert.value, `rule ${alert.ruleName} deleted`);
          else if (rule.expr !== alert.ruleExpr) _clear(alert, nowS, alert.value, `rule ${alert.ruleName} changed to ${rule.expr}`);
          else if (rule.name !== alert.ruleName) alert.ruleName = rule.name;
        }
      }
      if (downRules.length) _down(options.downDevices(), nowS);
    });
  }

  function _down(devices: { id: string; lastSeen: number }[], nowS: number): void {
    for (const device of devices) {
      const labels = _labels(device.id);
      for (const rule of downRules) {
        if (_selects(rule.parsed, device.id, labels)) _step(rule, device.id, "", true, null, nowS, `no record for ${Math.round(nowS - device.lastSeen)} s`);
      }
    }
  }

  /** A device's labels, read at most once per call and only when a rule needs them. */
  function _labels(deviceId: string): () => Record<string, string> | undefined {
    let read = false;
    let labels: Record<string, string> | undefined;
    return () => {
      if (!read) {
        labels = options.labelsOf(deviceId);
        read = true;
      }
      return labels;
    };
  }

  function _view(r: Record<string, unknown>): AlertView {
    const state = r.state as AlertState;
    const startedAt = r.started_at as number;
    const firedAt = (r.fired_at as number | null) ?? null;
    return {
      id: r.id as number,
      rule: r.rule_id as string,
      ruleName: r.rule_name as string,
      severity: r.severity as AlertSeverity,
      deviceId: r.device_id as string,
      key: (r.key as string) || null,
      state,
      value: (r.value as number | null) ?? null,
      message: r.summary as string,
      since: _iso(firedAt ?? startedAt)!,
      startedAt: _iso(startedAt)!,
      firedAt: _iso(firedAt),
      resolvedAt: _iso((r.resolved_at as number | null) ?? null),
    };
  }

  function _evaluate(deviceId: string, items: _Values, nowS: number): void {
    const labels = _labels(deviceId);
    for (const item in items) {
      const candidates = byItem.get(item);
      if (!candidates) continue;
      for (const rule of candidates) {
        if (!_selects(rule.parsed, deviceId, labels)) continue;
        const c = rule.parsed.condition as Extract<RuleExpr["condition"], { kind: "threshold" }>;
        for (const [key, value] of _valuesOf(rule.parsed, items[item])) _step(rule, deviceId, key, compare(value, c.op, c.threshold), value, nowS);
      }
    }
    // A rule that no longer selects the device (its labels changed) lets go of its alerts.
    const forDevice = open.get(deviceId);
    if (forDevice?.size && anySelector) {
      for (const alert of [...forDevice.values()]) {
        const rule = rules.find((r) => r.id === alert.ruleId);
        if (rule?.parsed.selector && !_selects(rule.parsed, deviceId, labels)) _clear(alert, nowS, alert.value, `no longer selected by rule ${rule.name}`);
      }
    }
  }

  function _up(deviceIds: string[], nowS: number): void {
    for (const id of deviceIds) {
      const forDevice = open.get(id);
      if (!forDevice?.size) continue;
      for (const alert of [...forDevice.values()]) {
        const rule = downRules.find((r) => r.id === alert.ruleId);
        if (rule) _step(rule, id, alert.key, false, null, nowS);
      }
    }
  }

  _loadOpen();
  reloadRules();

  return {
    reloadRules,
    /** A committed record's items. */
    evaluate(deviceId: string, items: _Values): void {
      _batch(() => _evaluate(deviceId, items, _nowS()));
    },
    /**
     * What a turn of ingest committed, in one transaction: devices UP again, then each record. A
     * transition is a commit with fsync (about 5 ms here): one per turn, not one per record.
     */
    ingested(up: string[], records: [deviceId: string, items: _Values][]): void {
      _batch(() => {
        const nowS = _nowS();
        _up(up, nowS);
        for (const [deviceId, items] of records) _evaluate(deviceId, items, nowS);
      });
    },
    /** Devices the DOWN check found silent for twice their period. */
    down(devices: { id: string; lastSeen: number }[]): void {
      if (!downRules.length || !devices.length) return;
      _batch(() => _down(devices, _nowS()));
    },
    /** Devices that reported again after DOWN. */
    up(deviceIds: string[]): void {
      if (deviceIds.length) _batch(() => _up(deviceIds, _nowS()));
    },
    /** Pending alerts whose `for` has passed fire, with the last value seen (run by the DOWN check's job). */
    tick(): void {
      const nowS = _nowS();
      const due: [_Open, _Rule][] = [];
      for (const forDevice of open.values()) {
        for (const alert of forDevice.values()) {
          if (alert.state !== "pending") continue;
          const rule = rules.find((r) => r.id === alert.ruleId);
          if (rule && (nowS - alert.startedAt) * 1000 >= rule.parsed.forMs) due.push([alert, rule]);
        }
      }
      if (due.length) _batch(() => due.forEach(([alert, rule]) => _fire(alert, rule, nowS)));
    },
    /** A rule's `for` in ms (undefined for no such rule): the notifier's flap window per rule can follow it. */
    forMsOf(ruleId: string): number | undefined {
      return rules.find((r) => r.id === ruleId)?.parsed.forMs;
    },
    /** A device's firing alerts (the device view's `alerts`). */
    of(deviceId: string): AlertView[] {
      const firing = [...(open.get(deviceId)?.values() ?? [])].filter((a) => a.state === "firing").sort((a, b) => b.id - a.id);
      return firing.map((a) => ({
        id: a.id,
        rule: a.ruleId,
        ruleName: a.ruleName,
        severity: a.severity,
        deviceId: a.deviceId,
        key: a.key || null,
        state: a.state,
        value: a.value,
        message: a.summary,
        since: _iso(a.firedAt ?? a.startedAt)!,
        startedAt: _iso(a.startedAt)!,
        firedAt: _iso(a.firedAt),
        resolvedAt: null,
      }));
    },
    /** Firing alerts by severity, from memory (for /metrics). */
    firingCounts(): Record<AlertSeverity, number> {
      const counts: Record<AlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
      for (const forDevice of open.values()) for (const alert of forDevice.values()) if (alert.state === "firing") counts[alert.severity]++;
      return counts;
    },
    list(query: AlertQuery): { alerts: AlertView[]; nextCursor: string | null } {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.state === "open") where.push("state != 'resolved'");
      else if (query.state !== "all") where.push("state = ?"), params.push(query.state);
      if (query.deviceId !== undefined) where.push("device_id = ?"), params.push(query.deviceId);
      if (query.before !== undefined) where.push("id < ?"), params.push(query.before);
      const sql = `SELECT * FROM alert_state ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
      const rows = db.query(sql).all(...params, query.limit + 1) as Record<string, unknown>[];
      const more = rows.length > query.limit;
      if (more) rows.pop();
      return { alerts: rows.map(_view), nextCursor: more ? String(rows.at(-1)!.id) : null };
    },
    /** One alert and what happened to it. */
    get(id: number): { alert: AlertView; history: { at: string; state: string; value: number | null; message: string }[] } | undefined {
      const row = db.query("SELECT * FROM alert_state WHERE id = ?").get(id) as Record<string, unknown> | null;
      if (!row) return undefined;
      const history = (db.query("SELECT at, state, value, summary FROM alert_history WHERE alert_id = ? ORDER BY id").all(id) as Record<string, unknown>[]).map((h) => ({
        at: _iso(h.at as number)!,
        state: h.state as string,
        value: (h.value as number | null) ?? null,
        message: h.summary as string,
      }));
      return { alert: _view(row), history };
    },
    /**
     * Deletes alerts resolved before `cutoffS` and their history, a batch at a time with a turn of
     * the event loop between batches (ingest goes on meanwhile). Returns the alerts removed.
     */
    async prune(cutoffS: number, batch = 1000): Promise<number> {
      let removed = 0;
      for (;;) {
        const ids = (db.query("SELECT id FROM alert_state WHERE state = 'resolved' AND resolved_at < ? LIMIT ?").all(cutoffS, batch) as { id: number }[]).map((r) => r.id);
        if (!ids.length) return removed;
        const list = ids.join(",");
        db.transaction(() => {
          db.exec(`DELETE FROM alert_history WHERE alert_id IN (${list})`);
          db.exec(`DELETE FROM alert_state WHERE id IN (${list})`);
        })();
        removed += ids.length;
        if (ids.length < batch) return removed;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

export type AlertEngine = ReturnType<typeof createAlertEngine>;
