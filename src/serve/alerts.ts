import type { EventHub } from "./events.ts";

/** Threshold rules with the defaults of SPEC §9; every one can be changed with `serve --alert`. */
export interface AlertRules {
  cpuPercent: number;
  memoryPercent: number;
  diskPercent: number;
  wifiSignalPercent: number;
}

export const DEFAULT_ALERT_RULES: AlertRules = { cpuPercent: 80, memoryPercent: 90, diskPercent: 95, wifiSignalPercent: 30 };

export interface ActiveAlert {
  rule: string;
  message: string;
  since: string;
}

type Values = Record<string, unknown>;

const _num = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);

/** The rules that fire for a record's items: [rule, message] when over the threshold, [rule] when fine. */
export function evaluateRules(items: Values, rules: AlertRules): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  const cpu = _num(items.cpu);
  if (cpu !== undefined) out.push(["cpu", cpu > rules.cpuPercent ? `CPU at ${cpu} % (over ${rules.cpuPercent} %)` : undefined]);
  const memory = _num(items.memory);
  if (memory !== undefined) out.push(["memory", memory > rules.memoryPercent ? `memory at ${memory} % (over ${rules.memoryPercent} %)` : undefined]);
  const disk = _num(items.diskusage);
  if (disk !== undefined) out.push(["disk", disk > rules.diskPercent ? `disk at ${disk} % (over ${rules.diskPercent} %)` : undefined]);
  const wifi = _num((items.wifi as Values | undefined)?.signal_quality_percent);
  if (wifi !== undefined) out.push(["wifi", wifi < rules.wifiSignalPercent ? `WiFi signal at ${wifi} % (under ${rules.wifiSignalPercent} %)` : undefined]);
  return out;
}

/** Raised and cleared alerts per device, published as `alert` events. */
export function createAlerts(events: EventHub, rules: AlertRules, now: () => number) {
  const active = new Map<string, Map<string, ActiveAlert>>();
  function set(deviceId: string, rule: string, message: string | undefined): void {
    let forDevice = active.get(deviceId);
    const current = forDevice?.get(rule);
    if (message !== undefined && !current) {
      if (!forDevice) active.set(deviceId, (forDevice = new Map()));
      forDevice.set(rule, { rule, message, since: new Date(now()).toISOString() });
      events.publish("alert", { deviceId, rule, state: "raised", message });
    } else if (message === undefined && current) {
      forDevice!.delete(rule);
      events.publish("alert", { deviceId, rule, state: "cleared", message: current.message });
    }
  }
  return {
    rules,
    evaluate(deviceId: string, items: Values): void {
      for (const [rule, message] of evaluateRules(items, rules)) set(deviceId, rule, message);
    },
    down(deviceId: string, silentSeconds: number): void {
      set(deviceId, "down", `no record for ${silentSeconds} s (twice the period)`);
    },
    up(deviceId: string): void {
      set(deviceId, "down", undefined);
    },
    of(deviceId: string): ActiveAlert[] {
      return [...(active.get(deviceId)?.values() ?? [])];
    },
    all(): (ActiveAlert & { deviceId: string })[] {
      return [...active.entries()].flatMap(([deviceId, m]) => [...m.values()].map((a) => ({ deviceId, ...a })));
    },
  };
}

export type Alerts = ReturnType<typeof createAlerts>;
