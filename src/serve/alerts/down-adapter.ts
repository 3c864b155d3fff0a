/**
 * DOWN as alert transitions, from the down check of today (app.checkDown → alerts.down and
 * announce → alerts.up), until the alert engine's DOWN rule replaces it: a device going DOWN fires,
 * its next record resolves. Which devices are DOWN is kept in a table of its own, so a restart
 * neither fires them again nor forgets to resolve them. A whole down check's devices are one
 * transaction (10,000 devices going DOWN stay a couple of commits), and with no channel at all
 * nothing is written.
 */
import type { Database } from "bun:sqlite";
import type { Notifier } from "./notifier.ts";
import type { AlertTransition } from "./transition.ts";

export function createDownAdapter(db: Database, notifier: Notifier, labelsOf: (deviceId: string) => Record<string, string>) {
  db.exec("CREATE TABLE IF NOT EXISTS alert_notifications_down (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL UNIQUE, since INTEGER NOT NULL)");
  const insert = db.query<{ id: number }, [string, number]>("INSERT INTO alert_notifications_down (device_id, since) VALUES (?, ?) ON CONFLICT (device_id) DO NOTHING RETURNING id");
  const take = db.query<{ id: number }, [string]>("DELETE FROM alert_notifications_down WHERE device_id = ? RETURNING id");
  const base = (deviceId: string) => ({ ruleId: "down", ruleName: "DOWN", severity: "critical" as const, deviceId, labels: labelsOf(deviceId) });
  return {
    down(devices: { id: string; silentSeconds: number }[], nowS: number): void {
      if (devices.length === 0 || !notifier.hasChannels()) return;
      const at = Math.floor(nowS);
      db.transaction(() => {
        const out: AlertTransition[] = [];
        for (const { id, silentSeconds } of devices) {
          const row = insert.get(id, at);
          if (row) out.push({ ...base(id), alertId: row.id, state: "firing", at, value: silentSeconds, summary: `${id}: DOWN, no record for ${silentSeconds} s` });
        }
        notifier.notifyAll(out);
      })();
    },
    up(deviceIds: string[], nowS: number): void {
      if (deviceIds.length === 0 || !notifier.hasChannels()) return;
      const at = Math.floor(nowS);
      db.transaction(() => {
        const out: AlertTransition[] = [];
        for (const id of deviceIds) {
          const row = take.get(id);
          if (row) out.push({ ...base(id), alertId: row.id, state: "resolved", at, value: null, summary: `${id}: UP again` });
        }
        notifier.notifyAll(out);
      })();
    },
  };
}
