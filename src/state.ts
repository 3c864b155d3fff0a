import { readFileSync } from "node:fs";
import { join } from "./posix-path.ts";
import * as v from "valibot";
import { writeFileAtomic } from "./atomic-file.ts";

/**
 * Small JSON documents kept between runs in `state/` (CPU sample, sequence number, server hints),
 * checked against their schema. A missing, unreadable or malformed file reads as undefined: state
 * is a cache, never a reason to fail.
 */
export function readState<S extends v.GenericSchema>(stateDir: string, name: string, schema: S): v.InferOutput<S> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(stateDir, name), "utf8"));
  } catch {
    return undefined;
  }
  const result = v.safeParse(schema, json);
  return result.success ? result.output : undefined;
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
