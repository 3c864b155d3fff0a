import { readFileSync } from "node:fs";
import { join } from "../posix-path.ts";
import { writeFileAtomic } from "../atomic-file.ts";
import type { SinkConfig } from "../config/schema.ts";
import { redactUrl } from "../redact.ts";

/**
 * `spool/<sink>/queue.json`: which server a queue was filled for (the URL redacted, its format), so
 * `spool list` and `spool stats` can say where an ad-hoc queue belongs once the `--server` that
 * made it is gone. It names the server for people only; nothing is ever sent from it.
 */
export interface QueueInfo {
  url: string;
  format: string;
}

const _FILE = "queue.json";

export function queueInfoOf(sink: SinkConfig): QueueInfo {
  const extra = (["database", "org", "bucket"] as const).filter((k) => sink[k] !== undefined).map((k) => ` ${k}=${sink[k]}`);
  return { url: redactUrl(sink.url).replace(/\/+$/, "") + extra.join(""), format: sink.format };
}

export function readQueueInfo(dir: string): QueueInfo | null {
  try {
    const json = JSON.parse(readFileSync(join(dir, _FILE), "utf8")) as Partial<QueueInfo>;
    return typeof json.url === "string" && typeof json.format === "string" ? { url: json.url, format: json.format } : null;
  } catch {
    return null;
  }
}

/** Written when missing or changed: one small read per enqueue, a write only on change. */
export function recordQueueInfo(dir: string, sink: SinkConfig): void {
  const info = queueInfoOf(sink);
  const stored = readQueueInfo(dir);
  if (stored?.url === info.url && stored.format === info.format) return;
  writeFileAtomic(join(dir, _FILE), `${JSON.stringify(info)}\n`);
}
