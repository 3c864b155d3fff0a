/**
 * The notifier's own tables, next to the store's (which it never touches): channels, the durable
 * outbox (one row per transition and channel, until its message is sent), the messages being
 * delivered (batches, with their attempts and backoff), the history of every attempt, and the
 * alerts a channel is reminded of while they fire.
 */
import type { Database } from "bun:sqlite";

export function prepareNotifierTables(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS alert_channels (
      id INTEGER PRIMARY KEY,
      url TEXT NOT NULL,
      name TEXT NOT NULL DEFAULT '',
      rules TEXT NOT NULL DEFAULT '[]',
      labels TEXT NOT NULL DEFAULT '{}',
      quiet_hours TEXT,
      resend_ms INTEGER NOT NULL DEFAULT 0,
      template TEXT,
      source TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS alert_notifications_outbox (
      id INTEGER PRIMARY KEY,
      channel_id INTEGER NOT NULL,
      group_key TEXT NOT NULL,
      kind TEXT NOT NULL,
      alert_id INTEGER NOT NULL,
      rule_id TEXT NOT NULL,
      device_id TEXT NOT NULL,
      transition TEXT NOT NULL,
      queued_at INTEGER NOT NULL,
      due_at INTEGER NOT NULL,
      batch_id INTEGER
    );
    CREATE INDEX IF NOT EXISTS alert_notifications_outbox_open ON alert_notifications_outbox (channel_id, batch_id, due_at);
    CREATE INDEX IF NOT EXISTS alert_notifications_outbox_batch ON alert_notifications_outbox (batch_id);
    -- Flap damping and cancelling look up one device's open rows: without these each transition of a
    -- 1,000-device burst scanned the others (55 ms for the burst instead of a few).
    CREATE INDEX IF NOT EXISTS alert_notifications_outbox_device ON alert_notifications_outbox (channel_id, device_id, rule_id);
    CREATE INDEX IF NOT EXISTS alert_notifications_outbox_alert ON alert_notifications_outbox (channel_id, alert_id);
    CREATE TABLE IF NOT EXISTS alert_notifications_batches (
      id INTEGER PRIMARY KEY,
      channel_id INTEGER NOT NULL,
      kind TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL,
      give_up_at INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending',
      done_at INTEGER,
      detail TEXT
    );
    CREATE INDEX IF NOT EXISTS alert_notifications_batches_pending ON alert_notifications_batches (channel_id, state, next_at);
    CREATE TABLE IF NOT EXISTS alert_notifications (
      id INTEGER PRIMARY KEY,
      alert_id INTEGER NOT NULL,
      channel_id INTEGER NOT NULL,
      batch_id INTEGER,
      kind TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      outcome TEXT NOT NULL,
      detail TEXT NOT NULL DEFAULT '',
      at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS alert_notifications_alert ON alert_notifications (alert_id);
    CREATE TABLE IF NOT EXISTS alert_notifications_firing (
      channel_id INTEGER NOT NULL,
      alert_id INTEGER NOT NULL,
      transition TEXT NOT NULL,
      next_resend_at INTEGER NOT NULL,
      PRIMARY KEY (channel_id, alert_id)
    );
  `);
}
