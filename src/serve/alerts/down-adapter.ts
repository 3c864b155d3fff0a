/**
 * DOWN as alert transitions, from the down check of today (app.checkDown → alerts.down and
 * announce → alerts.up), until the alert engine's DOWN rule replaces it: a device going DOWN fires,
 * its next record resolves. Which devices are DOWN is kept in a table of its own, so a restart
 * neither fires them again nor forgets to resolve them.
 */
import type { Database } from "bun:sqlite";
import type { NotifyTransition } from "./transition.ts";

export function createDownAdapter(db: Database, notify: NotifyTransition, labelsOf: (deviceId: string) => Record<string, string>) {
  db.exec("CREATE TABLE IF NOT EXISTS alert_notifications_down (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL UNIQUE, since INTEGER NOT NULL)");
  const insert = db.query<{ id: number }, [string, number]>("INSERT INTO alert_notifications_down (device_id, since) VALUES (?, ?) ON CONFLICT (device_id) DO NOTHING RETURNING id");
  const take = db.query<{ id: number }, [string]>("DELETE FROM alert_notifications_down WHERE device_id = ? RETURNING id");
  const base = (deviceId: string) => ({ ruleId: "down", ruleName: "DOWN", severity: "critical" as const, deviceId, labels: labelsOf(deviceId), value: null });
  return {
    down(deviceId: string, silentSeconds: number, nowS: number): void {
      const row = insert.get(deviceId, Math.floor(nowS));
      if (row) notify({ ...base(deviceId), alertId: row.id, state: "firing", at: Math.floor(nowS), value: silentSeconds, summary: `${deviceId}: DOWN, no record for ${silentSeconds} s` });
    },
    up(deviceId: string, nowS: number): void {
      const row = take.get(deviceId);
      if (row) notify({ ...base(deviceId), alertId: row.id, state: "resolved", at: Math.floor(nowS), summary: `${deviceId}: UP again` });
    },
  };
}
