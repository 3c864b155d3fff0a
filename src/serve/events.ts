import type { Server } from "bun";

export type EventType = "device.log" | "device.up" | "device.down" | "device.updated" | "alert";

export const EVENTS_TOPIC = "events";

/** Live events for /ws subscribers (SPEC §9): JSON `{type, timestamp, …}` published to one topic. */
export interface EventHub {
  publish(type: EventType, payload: Record<string, unknown>): void;
  attach(server: Server<unknown>): void;
  /** Events published so far, by type: for /metrics. */
  counts: Record<string, number>;
}

export function createEventHub(now: () => number): EventHub {
  let server: Server<unknown> | undefined;
  const counts: Record<string, number> = {};
  return {
    counts,
    attach(s) {
      server = s;
    },
    publish(type, payload) {
      counts[type] = (counts[type] ?? 0) + 1;
      if (!server || server.subscriberCount(EVENTS_TOPIC) === 0) return; // nobody listening: no JSON to build
      server.publish(EVENTS_TOPIC, JSON.stringify({ type, timestamp: new Date(now()).toISOString(), ...payload }));
    },
  };
}
