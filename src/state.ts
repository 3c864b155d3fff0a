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

/**
 * Best effort: a full disk or a read-only home must not stop a record from being made (the next
 * CPU sample is taken fresh, the sequence number repeats but the recordId still differs by time).
 */
export function writeState(stateDir: string, name: string, value: unknown): boolean {
  try {
    writeFileAtomic(join(stateDir, name), JSON.stringify(value), { durable: false });
    return true;
  } catch {
    return false;
  }
}
