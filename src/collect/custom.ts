import { accessSync, constants, statSync } from "node:fs";
import { dirname, join } from "../posix-path.ts";
import type { ReadableStreamDefaultReader } from "node:stream/web";
import * as v from "valibot";
import { errorMessage } from "../errors.ts";
import { issueText } from "../issue-text.ts";
import { jsonSyntaxError } from "../json-error.ts";
import { ITEM_ID_PATTERN, itemSchema, type Item, type ItemError } from "../record/schema.ts";

/** What a collectors.d program may print (SPEC §4.4): one item, an array of items, or `{name: number}`. */
const _customOutput = v.union([
  itemSchema,
  v.array(itemSchema),
  v.record(v.pipe(v.string(), v.regex(ITEM_ID_PATTERN)), v.pipe(v.number(), v.finite())),
]);

/**
 * Bytes of stdout a collector may print (a few thousand items; the receiver takes 1 MiB per request
 * in all). Counted while it streams: past it the program is killed and its output discarded, so a
 * runaway program costs collect this much memory, not what it prints.
 */
export const MAX_COLLECTOR_OUTPUT = 256 * 1024;

/** The end of stderr kept for the error entry; the rest is read and dropped as it comes. */
const _STDERR_TAIL = 4096;

/** A collector's stdout → items. Throws with a short reason when it is not one of the three shapes. */
export function parseCollectorOutput(text: string): Item[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const at = jsonSyntaxError(text);
    throw new Error(`output is not JSON: "${text.trim().slice(0, 60)}"${at ? ` (line ${at.line}, column ${at.column}: ${at.reason})` : ""}`);
  }
  const result = v.safeParse(_customOutput, json);
  if (!result.success) {
    throw new Error(`output is not an item, an array of items or an object of numbers (${issueText(result.issues, "output")})`);
  }
  const out = result.output;
  if (Array.isArray(out)) return out;
  if ("id" in out && "type" in out && "val" in out) return [out as Item];
  return Object.entries(out as Record<string, number>).map(([id, val]) => ({ id, type: "number" as const, val }));
}

export interface CustomResult {
  items: Item[];
  errors: ItemError[];
}

/** stdout up to `cap` bytes; past it `onOver` runs, reading stops and the result is undefined. */
async function _readCapped(reader: ReadableStreamDefaultReader<Uint8Array>, cap: number, onOver: () => void): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.length;
    if (size > cap) {
      onOver();
      return undefined;
    }
    chunks.push(value);
  }
}

async function _readTail(reader: ReadableStreamDefaultReader<Uint8Array>, keep: number): Promise<string> {
  let tail = new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return new TextDecoder().decode(tail);
    tail = Buffer.concat([tail, value]).subarray(-keep);
  }
}

async function _runOne(path: string, timeoutMs: number, env: Record<string, string | undefined>): Promise<Item[]> {
  // detached: setsid(), so the program leads its own process group and one kill(-pgid) reaches
  // everything it started (`sleep 300 &` included), not only the program itself.
  const proc = Bun.spawn([path], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env, cwd: dirname(path), detached: true });
  const killGroup = () => {
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // the group is gone already
    }
  };
  let failure: string | undefined;
  const stop = (reason: string) => {
    failure ??= reason;
    killGroup();
  };
  const stdout = proc.stdout.getReader();
  const stderr = proc.stderr.getReader();
  let timer: Timer | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      stop(`no result within ${timeoutMs} ms, killed`);
      resolve();
    }, timeoutMs);
  });
  // The program's exit ends its run: whatever it left behind in its group goes too, so no child
  // outlives collect or holds stdout open.
  const exited = proc.exited.then((code) => {
    killGroup();
    return code;
  });
  try {
    // Race the whole exchange: a process that left the group (its own setsid) and keeps a pipe
    // open must not hang collect past the timeout.
    const done = await Promise.race([
      Promise.all([_readCapped(stdout, MAX_COLLECTOR_OUTPUT, () => stop(`printed more than ${MAX_COLLECTOR_OUTPUT} bytes, killed`)), _readTail(stderr, _STDERR_TAIL), exited]),
      timedOut,
    ]);
    if (failure !== undefined || !done) throw new Error(failure);
    const [out, err, code] = done;
    if (code !== 0) {
      const reason = err.trim().split("\n").at(-1)?.slice(0, 200);
      throw new Error(`exited with code ${code}${reason ? `: ${reason}` : ""}`);
    }
    return parseCollectorOutput(new TextDecoder().decode(out));
  } finally {
    clearTimeout(timer);
    killGroup();
    // Release the pipes even if a reader is still waiting on a process outside the group.
    void stdout.cancel().catch(() => {});
    void stderr.cancel().catch(() => {});
  }
}

/**
 * Why a collectors.d entry (or the directory) must not run, like cron refusing a crontab anyone
 * could edit: whoever can change it runs code as this user. Undefined when it is safe.
 */
export function unsafeReason(stats: { mode: number; uid: number }, uid: number): string | undefined {
  if (stats.mode & 0o002) return `writable by every user (mode ${(stats.mode & 0o7777).toString(8).padStart(4, "0")}; chmod o-w it)`;
  if (stats.uid !== uid && stats.uid !== 0) return `owned by uid ${stats.uid}, neither this user (uid ${uid}) nor root (chown it)`;
  return undefined;
}

/**
 * Runs every executable in collectors.d in parallel, each with its own timeout. Dotfiles are
 * ignored; a file that is not executable is reported (it was probably meant to run). Failures
 * become error entries named `collectors.d/<file>`; they never fail the record.
 */
export async function runCustomCollectors(
  dir: string,
  names: string[],
  timeoutMs: number,
  env: Record<string, string | undefined>,
  uid: number = process.getuid?.() ?? 0,
): Promise<CustomResult> {
  const programs = names.filter((name) => !name.startsWith("."));
  if (programs.length === 0) return { items: [], errors: [] };
  try {
    const unsafe = unsafeReason(statSync(dir), uid);
    if (unsafe) return { items: [], errors: [{ id: "collectors.d", message: `${dir} is ${unsafe}: none of its programs ran` }] };
  } catch (error) {
    return { items: [], errors: [{ id: "collectors.d", message: errorMessage(error) }] };
  }
  const results = await Promise.all(
    programs.map(async (name): Promise<CustomResult> => {
      const path = join(dir, name);
      try {
        const stats = statSync(path);
        if (!stats.isFile()) return { items: [], errors: [] };
        const unsafe = unsafeReason(stats, uid);
        if (unsafe) throw new Error(`not run: ${unsafe}`);
        try {
          accessSync(path, constants.X_OK);
        } catch {
          throw new Error("not executable (chmod +x it, or move it out of collectors.d)");
        }
        return { items: await _runOne(path, timeoutMs, env), errors: [] };
      } catch (error) {
        return { items: [], errors: [{ id: `collectors.d/${name}`, message: errorMessage(error) }] };
      }
    }),
  );
  // Results in file-name order, whatever order the programs finished in.
  return { items: results.flatMap((r) => r.items), errors: results.flatMap((r) => r.errors) };
}
