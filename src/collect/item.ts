import type { Config } from "../config/schema.ts";
import type { BuiltinId } from "../record/builtin-ids.ts";
import type { ItemType, NumericValue, StringValue } from "../record/schema.ts";
import type { StateShape } from "../state.ts";
import type { Probe } from "./probe.ts";

/** What an item may use besides the host's files: time, the CPU sample store, the settings. */
export interface ItemContext {
  probe: Probe;
  settings: Config["collect"];
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  machineArch: string;
  readState: <T>(name: string, shape: StateShape<T>) => T | undefined;
  writeState: (name: string, value: unknown) => void;
  /** A partial problem that does not fail the item (a filesystem skipped): lands in meta.errors. */
  warn: (id: string, message: string) => void;
  /** Facts about how the record was made, copied into meta (cpuWindowS). */
  meta: { cpuWindowS?: number };
}

type _Read<V> = (ic: ItemContext) => V | undefined | Promise<V | undefined>;

/** A built-in item. `read` returns undefined when the device has no such thing (no battery, no WiFi). */
export type ItemDef =
  | { id: BuiltinId; type: "string"; read: _Read<StringValue> }
  | { id: BuiltinId; type: Exclude<ItemType, "string">; read: _Read<NumericValue> };

export function defineItem<const T extends ItemDef>(def: T): T {
  return def;
}
