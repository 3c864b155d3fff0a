import { readFileSync, statSync } from "node:fs";
import { serialize } from "ohash";
import { writeFileAtomic } from "../atomic-file.ts";
import type { Context } from "../context.ts";
import { STATE_FILES } from "../paths.ts";
import { readState, writeState } from "../state.ts";

/** telemetrics-client's privacy rule: the machine id changes every 3 days unless the user fixes one. */
export const MACHINE_ID_MAX_AGE_MS = 3 * 24 * 3600 * 1000;

export type MachineIdSource = "static" | "stored" | "generated" | "rotated";

export interface MachineId {
  id: string;
  source: MachineIdSource;
  path: string;
  /** When the stored id was written; undefined for the static id. */
  createdMs?: number;
}

function _hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** The opt-in static id: its first 32 characters, cut at the first newline; empty means absent. */
export function parseStaticMachineId(text: string): string | undefined {
  const id = text.split("\n", 1)[0]!.trim().slice(0, 32);
  return id === "" ? undefined : id;
}

/**
 * The machine id for this run (SPEC §5). The rotating id is 32 lowercase hex characters from a
 * secure random source, replaced when its file is older than 3 days (checked every run).
 */
export function resolveMachineId(ctx: Context): MachineId {
  const { staticMachineId, machineId } = ctx.paths;
  try {
    const id = parseStaticMachineId(readFileSync(staticMachineId, "utf8"));
    if (id) return { id, source: "static", path: staticMachineId };
  } catch {
    // no static id: the normal case
  }
  const now = ctx.now();
  let existed = false;
  try {
    const createdMs = statSync(machineId).mtimeMs;
    existed = true;
    const id = readFileSync(machineId, "utf8").trim();
    const age = now - createdMs;
    // A file from the future (clock set back) counts as fresh: rotating on every run would be worse.
    if (/^[0-9a-f]{32}$/.test(id) && age < MACHINE_ID_MAX_AGE_MS) return { id, source: "stored", path: machineId, createdMs };
  } catch {
    // missing or unreadable: make one
  }
  const id = _hex(ctx.randomBytes(16));
  writeFileAtomic(machineId, `${id}\n`);
  return { id, source: existed ? "rotated" : "generated", path: machineId, createdMs: now };
}

/** The pattoo agent id (SPEC §5): 64 hex characters, made once and never rotated. */
export function resolvePattooAgentId(ctx: Context): string {
  const path = ctx.paths.pattooAgentId;
  try {
    const stored = readFileSync(path, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(stored)) return stored;
  } catch {
    // first use
  }
  const seed = `${_hex(ctx.randomBytes(32))}${ctx.now()}`;
  const id = new Bun.CryptoHasher("sha256").update(seed).digest("hex");
  writeFileAtomic(path, `${id}\n`);
  return id;
}

const _isSeq = (json: unknown): json is number => Number.isSafeInteger(json) && (json as number) >= 0;

/** The next record sequence number, persisted in state/ so it keeps growing across runs. */
export function nextSeq(ctx: Context): number {
  const last = readState(ctx.paths.state, STATE_FILES.seq, _isSeq);
  const seq = last === undefined ? 1 : last + 1;
  writeState(ctx.paths.state, STATE_FILES.seq, seq);
  return seq;
}

export function currentSeq(ctx: Context): number {
  return readState(ctx.paths.state, STATE_FILES.seq, _isSeq) ?? 0;
}

/**
 * A record's identity for deduplication: the same inputs give the same id on every machine. This is
 * exactly ohash's hash() (SHA-256 of its stable serialisation, base64url), with the digest taken by
 * Bun's native hasher: ohash's own digest pulls in node:crypto, which costs collect 3 MB of RSS.
 */
export function makeRecordId(machineId: string, bootId: string, seq: number, unixMs: number): string {
  return Bun.SHA256.hash(serialize([machineId, bootId, seq, unixMs]), "base64url");
}
