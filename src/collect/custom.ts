import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { errorMessage } from "../errors.ts";
import { itemSchema, type Item, type ItemError } from "../record/schema.ts";

/** What a collectors.d program may print (SPEC §4.4): one item, an array of items, or `{name: number}`. */
const _customOutput = v.union([
  itemSchema,
  v.array(itemSchema),
  v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,64}$/)), v.pipe(v.number(), v.finite())),
]);

const _MAX_OUTPUT = 256 * 1024;

/** A collector's stdout → items. Throws with a short reason when it is not one of the three shapes. */
export function parseCollectorOutput(text: string): Item[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`output is not JSON: "${text.trim().slice(0, 60)}"`);
  }
  const result = v.safeParse(_customOutput, json);
  if (!result.success) {
    const issue = result.issues[0];
    const path = v.getDotPath(issue);
    throw new Error(`output is not an item, an array of items or an object of numbers${path ? ` (at ${path}: ${issue.message})` : ""}`);
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

async function _runOne(path: string, timeoutMs: number, env: Record<string, string | undefined>): Promise<Item[]> {
  const proc = Bun.spawn([path], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env, cwd: join(path, "..") });
  let timer: Timer | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`no result within ${timeoutMs} ms, killed`));
    }, timeoutMs);
  });
  try {
    // Race the whole exchange: a grandchild holding stdout open must not hang collect.
    const [stdout, stderr, code] = await Promise.race([
      Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]),
      timedOut,
    ]);
    if (code !== 0) {
      const reason = stderr.trim().split("\n").at(-1)?.slice(0, 200);
      throw new Error(`exited with code ${code}${reason ? `: ${reason}` : ""}`);
    }
    if (stdout.length > _MAX_OUTPUT) throw new Error(`printed more than ${_MAX_OUTPUT} bytes`);
    return parseCollectorOutput(stdout);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every executable in collectors.d in parallel, each with its own timeout. Dotfiles are
 * ignored; a file that is not executable is reported (it was probably meant to run). Failures
 * become error entries named `collectors.d/<file>`; they never fail the record.
 */
export async function runCustomCollectors(dir: string, names: string[], timeoutMs: number, env: Record<string, string | undefined>): Promise<CustomResult> {
  const results = await Promise.all(
    names
      .filter((name) => !name.startsWith("."))
      .map(async (name): Promise<CustomResult> => {
        const path = join(dir, name);
        try {
          if (!statSync(path).isFile()) return { items: [], errors: [] };
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
