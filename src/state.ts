import { readFileSync } from "node:fs";
import { join } from "./posix-path.ts";
import * as v from "valibot";
import { writeFileAtomic } from "./atomic-file.ts";

/**
 * How a state file is checked: a valibot schema, or a type guard. The caches collect reads on
 * every run (the CPU ring, the process and container samples, the sequence number) use guards:
 * a failed check is only a cache miss, so no message is wanted, and valibot's per-field pipelines
 * cost more than the read itself in a run's cold interpreter.
 */
export type StateShape<T> = v.GenericSchema<unknown, T> | ((json: unknown) => json is T);

/**
 * Small JSON documents kept between runs in `state/` (CPU sample, sequence number, server hints),
 * checked against their shape. A missing, unreadable or malformed file reads as undefined: state
 * is a cache, never a reason to fail.
 */
export function readState<T>(stateDir: string, name: string, shape: StateShape<T>): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(stateDir, name), "utf8"));
  } catch {
    return undefined;
  }
  if (typeof shape === "function") return shape(json) ? json : undefined;
  const result = v.safeParse(shape, json);
  return result.success ? result.output : undefined;
}

/** A JSON object (not an array, not null). */
export function isJsonObject(json: unknown): json is Record<string, unknown> {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

/** A JSON object whose every value is a number. */
export function isNumberMap(json: unknown): json is Record<string, number> {
  if (!isJsonObject(json)) return false;
  for (const key in json) if (typeof json[key] !== "number") return false;
  return true;
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

/** A sample of counters, as the process and container samples are: `{ms, bootId, [field]: {key: number}}`. */
export function isCounterSample<K extends string>(json: unknown, field: K): json is { ms: number; bootId: string } & Record<K, Record<string, number>> {
  return isJsonObject(json) && typeof json.ms === "number" && typeof json.bootId === "string" && isNumberMap(json[field]);
}
