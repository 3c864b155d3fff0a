import type { Job } from "./schedule.ts";

/** serve --push-self: this machine's record, pushed here as a device would (the pusher is injected: serve does not collect). */
export function selfPushJob(push: (url: string, apiKey: string) => Promise<void>, url: string, apiKey: string, everyMs: number): Job {
  let running = false;
  return {
    name: "self-push",
    everyMs,
    atStart: true,
    async run() {
      if (running) return;
      running = true;
      try {
        await push(url, apiKey);
      } finally {
        running = false;
      }
    },
  };
}
