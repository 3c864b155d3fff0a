import * as v from "valibot";
import type { Config } from "../config/schema.ts";
import type { Context } from "../context.ts";
import { errorMessage, UsageError } from "../errors.ts";
import { issueText } from "../issue-text.ts";
import { resolveGeneratedDeviceId } from "../record/device-id.ts";
import { makeRecordId, nextSeq, resolveMachineId } from "../record/identity.ts";
import { MAX_ITEMS_PER_RECORD } from "../record/limits.ts";
import { checkedItem } from "../record/item-check.ts";
import { checkedEnvelope } from "../record/envelope-check.ts";
import { ITEM_ID_PATTERN } from "../record/rules.ts";
import type { BagtowerRecord, Item, ItemError } from "../record/schema.ts";
import { readState, writeState } from "../state.ts";
import { VERSION } from "../version.ts";
import type { ItemContext } from "./item.ts";
import { listDir } from "../host.ts";
import { readHostFacts } from "./host-facts.ts";
import { createProbe, type Probe } from "./probe.ts";
import { BUILTIN_IDS } from "../record/builtin-ids.ts";
import { builtinItems } from "./registry.ts";
import { checkItemIds, checkRoot } from "./selection.ts";

/** `--set name=value`: a number becomes a `number` item, anything else a `string` item. */
export function parseSetOption(option: string): Item {
  const at = option.indexOf("=");
  const id = option.slice(0, Math.max(at, 0)).trim();
  if (at <= 0 || !ITEM_ID_PATTERN.test(id)) {
    throw new UsageError(`--set ${option}: expected name=value with a name of letters, digits, '_', '.', ':' or '-'`);
  }
  const raw = option.slice(at + 1);
  const number = Number(raw);
  return raw.trim() !== "" && Number.isFinite(number) ? { id, type: "number", val: number } : { id, type: "string", val: raw };
}

/**
 * The device's host name: the root's (a fixture or container root speaks for its device), else this
 * machine's. node:os is required only for that fallback: loading it costs every run ~0.8 ms.
 */
export function readHostname(probe: Probe): string {
  return probe.maybeText("/proc/sys/kernel/hostname")?.trim() || (require("node:os") as typeof import("node:os")).hostname();
}

function _selected(id: string, items: Config["items"]): boolean {
  return (items.only === null || items.only.includes(id)) && !items.disable.includes(id);
}

/** One item, guarded: a throw becomes an error entry, never a failed record. */
async function _readItem(def: (typeof builtinItems)[number], ic: ItemContext): Promise<Item | ItemError | undefined> {
  try {
    const val = await def.read(ic);
    return val === undefined ? undefined : ({ id: def.id, type: def.type, val } as Item);
  } catch (error) {
    return { id: def.id, message: errorMessage(error) };
  }
}

/**
 * Validates the record once. Should an item carry an invalid value (NaN from a kernel that printed
 * garbage), that item alone moves to meta.errors and the rest of the record is kept. The fast paths
 * (record/item-check.ts, record/envelope-check.ts: fuzzed against the schemas) vouch for a record
 * as collect makes it, so a run builds no record schema; anything they do not recognise goes
 * through the schemas, which name the problem.
 */
export function validateRecord(record: BagtowerRecord): BagtowerRecord {
  const items = record.data.map(checkedItem);
  if (items.every((item) => item !== undefined)) {
    const checked = checkedEnvelope(record, items as Item[]);
    if (checked) return checked;
  }
  const { itemSchema, recordSchema } = require("../record/schema.ts") as typeof import("../record/schema.ts");
  const checked = v.safeParse(recordSchema, record);
  if (checked.success) return checked.output;
  const data: Item[] = [];
  for (const item of record.data) {
    const one = v.safeParse(itemSchema, item);
    if (one.success) data.push(one.output);
    else record.meta.errors.push({ id: item.id, message: `invalid value: ${issueText(one.issues, "item")}` });
  }
  return v.parse(recordSchema, { ...record, data });
}

/**
 * Reads the device once and builds the record of SPEC §4.1: built-in items and collectors.d run
 * concurrently, every failure lands in meta.errors, and the identity fields make it deduplicable.
 */
export async function runCollect(ctx: Context, config: Config, extra: Item[] = []): Promise<BagtowerRecord> {
  checkRoot(config.collect.rootfs);
  const probe = createProbe(config.collect.rootfs, ctx.statfs);
  const errors: ItemError[] = [];
  const meta: ItemContext["meta"] = {};
  const ic: ItemContext = {
    probe,
    settings: config.collect,
    now: ctx.now,
    sleep: ctx.sleep,
    machineArch: ctx.machineArch,
    readState: (name, shape) => readState(ctx.paths.state, name, shape),
    writeState: (name, value) => writeState(ctx.paths.state, name, value),
    warn: (id, message) => errors.push({ id, message }),
    meta,
  };

  const builtins = builtinItems.filter((def) => _selected(def.id, config.items));
  const only = config.items.only;
  const wantsCustom = only === null || only.some((id) => !BUILTIN_IDS.includes(id));
  // collectors.d's runner (and its output schema) loads only when the directory has programs.
  const programs = wantsCustom ? listDir(ctx.paths.collectors) : [];
  const extraIds = extra.map((item) => item.id);
  // With no collectors.d program every id is known before reading anything: a typo costs no CPU sample.
  if (programs.length === 0) checkItemIds(config.items, extraIds, false);
  const [results, custom] = await Promise.all([
    Promise.all(builtins.map((def) => _readItem(def, ic))),
    programs.length > 0
      ? import("./custom.ts").then(({ runCustomCollectors }) =>
          runCustomCollectors(ctx.paths.collectors, programs, config.collect.timeoutMs, {
            PATH: ctx.env.PATH,
            BAGTOWER_HOME: ctx.paths.home,
            BAGTOWER_ROOTFS: config.collect.rootfs,
          }),
        )
      : { items: [], errors: [] },
  ]);

  // Otherwise the programs' ids are known from their output, unless they did not run or one failed.
  if (programs.length > 0) checkItemIds(config.items, [...custom.items.map((item) => item.id), ...extraIds], !wantsCustom || custom.errors.length > 0);

  const byId = new Map<string, Item>();
  for (const result of results) {
    if (!result) continue;
    if ("type" in result) byId.set(result.id, result);
    else errors.push(result);
  }
  errors.push(...custom.errors);
  // Built-in and --set items always fit; collectors.d fills what is left of the receiver's limit, so
  // one collector printing too much costs its extra items, not every record.
  const forced = new Set(extra.map((item) => item.id));
  let room = MAX_ITEMS_PER_RECORD - byId.size - [...forced].filter((id) => !byId.has(id)).length;
  let dropped = 0;
  for (const item of custom.items) {
    if (!_selected(item.id, config.items) || byId.has(item.id)) continue;
    if (forced.has(item.id)) byId.set(item.id, item); // its slot is reserved; --set replaces the value below
    else if (room > 0) {
      byId.set(item.id, item);
      room--;
    } else dropped++;
  }
  if (dropped > 0) {
    errors.push({ id: "collectors.d", message: `${dropped} items dropped: a record holds at most ${MAX_ITEMS_PER_RECORD} items (the receiver refuses more)` });
  }
  for (const item of extra) byId.set(item.id, item); // --set wins: the user asked for exactly this value

  if (only) {
    for (const id of only) {
      if (byId.has(id) || errors.some((e) => e.id === id)) continue;
      // A built-in item may be absent by nature (no battery, no WiFi); checkItemIds refused typos.
      if (BUILTIN_IDS.includes(id)) ctx.log.debug(`${id}: this device has none`);
    }
  }

  const nowMs = ctx.now();
  const unixTimestamp = Math.floor(nowMs / 1000);
  const machine = resolveMachineId(ctx);
  const bootId = probe.maybeText("/proc/sys/kernel/random/boot_id")?.trim() ?? "";
  const seq = nextSeq(ctx);
  const hostname = readHostname(probe);
  const record: BagtowerRecord = {
    deviceId: config.deviceId ?? resolveGeneratedDeviceId(ctx, hostname).id,
    unixTimestamp,
    UTCTimestamp: new Date(unixTimestamp * 1000).toISOString(),
    data: [...byId.values()],
    meta: {
      recordId: makeRecordId(machine.id, bootId, seq, nowMs),
      machineId: machine.id,
      hostname,
      bootId,
      seq,
      agent: `bagtower/${VERSION}`,
      tags: config.tags,
      errors,
      ...(meta.cpuWindowS !== undefined ? { cpuWindowS: meta.cpuWindowS } : {}),
      host: readHostFacts(probe),
    },
  };
  return validateRecord(record);
}
