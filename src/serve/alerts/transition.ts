/**
 * What the alert engine hands to notification delivery: one alert changing state. The engine
 * (rules, pending → firing → resolved, history) produces these; the notifier (channels, outbox,
 * grouping, quiet hours) decides who is told and when.
 */
export type AlertSeverity = "info" | "warning" | "critical";

export interface AlertTransition {
  /** The alert's row id in the database: the same id from firing to resolved. */
  alertId: number;
  ruleId: string;
  ruleName: string;
  severity: AlertSeverity;
  /** The device the alert is about, or the heartbeat check's name for a missed ping. */
  deviceId: string;
  labels: Record<string, string>;
  state: "firing" | "resolved";
  /** The value that crossed (or came back over) the threshold, when there is one. */
  value: number | null;
  /** Unix seconds of the change. */
  at: number;
  /** One line a person reads: "pi-kitchen: cpu 93.1 > 80 for 10m". */
  summary: string;
}

/** Where transitions go; the notifier implements it, the engine calls it after the change is committed. */
export type NotifyTransition = (transition: AlertTransition) => void;
