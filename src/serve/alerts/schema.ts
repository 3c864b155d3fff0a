// The alert engine's own tables, next to the store's in the same database (store.db). Names start
// with alert_; alert_notifications belongs to the notifier, which keys it by alert_state.id.
import type { Database } from "bun:sqlite";

const _SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_rules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  expr TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('default', 'config', 'flag', 'api')),
  position INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- One row per alert: pending (the condition holds, its 'for' not yet), firing, resolved. The id is
-- the alert's from pending to resolved; AUTOINCREMENT never hands out a pruned alert's id again.
CREATE TABLE IF NOT EXISTS alert_state (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_id TEXT NOT NULL,
  -- The rule's text when the alert began: a rule changed since lets go of its alerts.
  rule_expr TEXT NOT NULL,
  rule_name TEXT NOT NULL,
  severity TEXT NOT NULL,
  device_id TEXT NOT NULL,
  key TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
  value REAL,
  summary TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  fired_at INTEGER,
  resolved_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS alert_state_open ON alert_state (rule_id, device_id, key) WHERE state != 'resolved';
CREATE INDEX IF NOT EXISTS alert_state_device ON alert_state (device_id, id);
CREATE INDEX IF NOT EXISTS alert_state_resolved ON alert_state (resolved_at) WHERE state = 'resolved';
-- What happened to each alert, in order: firing and resolved, with the value then.
CREATE TABLE IF NOT EXISTS alert_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  state TEXT NOT NULL,
  value REAL,
  summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_history_alert ON alert_history (alert_id, id);
`;

export function prepareAlertSchema(db: Database): void {
  db.exec(_SCHEMA);
}
