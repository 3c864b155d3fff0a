import type { Job } from "./schedule.ts";

/** serve --push-self: this machine's record, pushed here as a device would (the pusher is injected: serve does not collect). */
/** What the job learns from a push: the device id it went in as, and the period the receiver holds for it. */
export type SelfPush = (url: string, apiKey: string) => Promise<{ deviceId?: string; periodSeconds?: number } | undefined>;

/**
 * `periodIs(deviceId, seconds)` is told the period this machine really pushes at when the receiver
 * holds another (a new device gets the default 10 minutes): the dashboard shows the device's
 * period and DOWN is judged by it, so both must be --push-self's interval.
 */
export function selfPushJob(push: SelfPush, url: string, apiKey: string, everyMs: number, periodIs?: (deviceId: string, seconds: number) => void): Job {
  const seconds = Math.max(1, Math.round(everyMs / 1000));
  let running = false;
  return {
    name: "self-push",
    everyMs,
    atStart: true,
    async run() {
      if (running) return;
      running = true;
      try {
        const pushed = await push(url, apiKey);
        if (pushed?.deviceId && pushed.periodSeconds !== undefined && pushed.periodSeconds !== seconds) periodIs?.(pushed.deviceId, seconds);
      } finally {
        running = false;
      }
    },
  };
}
