import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.ts";

/**
 * Small JSON documents kept between runs in `state/` (CPU sample, sequence number, server hints).
 * A missing or unreadable file reads as undefined: state is a cache, never a reason to fail.
 */
export function readState<T>(stateDir: string, name: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, name), "utf8")) as T;
  } catch {
    return undefined;
  }
}

export function writeState(stateDir: string, name: string, value: unknown): void {
  writeFileAtomic(join(stateDir, name), JSON.stringify(value), { durable: false });
}
