// `bagtower update`: the executable replaces itself with the one the receiver it pushes to hands out
// (serve's /download/), checked against that receiver's SHA256SUMS, renamed over itself in its own
// directory: a run that stops at any point leaves the old executable or the new one, never a mix.
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "./posix-path.ts";
import { fsyncDir } from "./atomic-file.ts";
import { releaseName } from "./build-target.ts";
import type { Config } from "./config/schema.ts";
import type { Context } from "./context.ts";
import { BagtowerError, ConfigError, errorMessage, ExitCode, TempFailError } from "./errors.ts";
import { dropPageCache } from "./page-cache.ts";
import { sha256File } from "./serve/downloads.ts";

/** A receiver's address for downloads: the origin of a bagtower sink (serve answers at its root). */
export function updateServer(config: Config, given?: string): string {
  if (given !== undefined) {
    try {
      return new URL(given).origin;
    } catch {
      throw new ConfigError(`--server ${given}: expected a URL such as http://gateway:8787`);
    }
  }
  const origins = [...new Set(config.sinks.filter((s) => s.format === "bagtower").map((s) => new URL(s.url).origin))];
  if (origins.length === 1) return origins[0]!;
  if (origins.length === 0) throw new ConfigError("no bagtower sink in config.json to update from: give --server URL (a bagtower serve)");
  throw new ConfigError(`config.json has several bagtower servers (${origins.join(", ")}): name one with --server URL`);
}

/** The sum of `name` in a SHA256SUMS text (`sha256sum` format, text or binary mode), or undefined. */
export function parseSums(text: string, name: string): string | undefined {
  for (const line of text.split("\n")) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (match && match[2] === name) return match[1];
  }
  return undefined;
}

/** The read token for downloads: --download-token, BAGTOWER_DOWNLOAD_TOKEN, else the installer's HOME/download-token. */
export function downloadToken(ctx: Context, given?: string): string | undefined {
  if (given) return given;
  if (ctx.env.BAGTOWER_DOWNLOAD_TOKEN) return ctx.env.BAGTOWER_DOWNLOAD_TOKEN;
  const file = ctx.paths.downloadToken;
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

export interface UpdateInput {
  server: string;
  token?: string;
  /** This executable's release name's target (`linux-x64` …) and its file. */
  target: string;
  executable: string;
  /** Only tell whether the receiver has another executable. */
  check: boolean;
  /** Runs the new file with --version before it goes in (a binary for the wrong libc stops here). */
  version: (file: string) => Promise<string | undefined>;
}

export interface UpdateResult {
  server: string;
  file: string;
  status: "current" | "available" | "updated";
  sha256: string;
  version?: string;
}

async function _get(ctx: Context, url: string, token: string | undefined): Promise<Response> {
  let response: Response;
  try {
    response = await ctx.fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: "error" });
  } catch (error) {
    throw new TempFailError(`${url}: ${errorMessage(error)} (try again later)`, { cause: error });
  }
  if (response.ok) return response;
  const why = ((await response.text().catch(() => "")).match(/"error":"([^"]*)"/)?.[1] ?? response.statusText).slice(0, 300);
  if (response.status === 401 || response.status === 403) throw new ConfigError(`${url}: ${response.status}, ${why} (give the receiver's read token: --download-token TOKEN)`);
  if (response.status >= 500 || response.status === 429) throw new TempFailError(`${url}: ${response.status}, ${why} (try again later)`);
  throw new BagtowerError(`${url}: ${response.status}, ${why}`);
}

/** Writes the body into `file` while hashing it; returns the sum. */
async function _download(response: Response, file: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  const fd = openSync(file, "wx", 0o700);
  try {
    for await (const chunk of response.body!) {
      hasher.update(chunk);
      writeSync(fd, chunk);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return hasher.digest("hex");
}

export async function runUpdate(ctx: Context, input: UpdateInput): Promise<UpdateResult> {
  const name = releaseName(input.target);
  const base = `${input.server}/download`;
  const sums = await (await _get(ctx, `${base}/SHA256SUMS`, input.token)).text();
  const expected = parseSums(sums, name);
  if (!expected) throw new BagtowerError(`${base}/SHA256SUMS has no ${name}: start that serve with --downloads DIR holding it`);
  const result = { server: input.server, file: input.executable };
  if ((await sha256File(input.executable)) === expected) return { ...result, status: "current", sha256: expected };
  if (input.check) return { ...result, status: "available", sha256: expected };
  const dir = dirname(input.executable);
  const temp = join(dir, `.${basename(input.executable)}.new.${process.pid}`);
  try {
    const actual = await _download(await _get(ctx, `${base}/${name}`, input.token), temp);
    if (actual !== expected) {
      throw new BagtowerError(`checksum mismatch for ${name} (expected ${expected}, got ${actual}): the download is corrupt or tampered with; ${input.executable} was not replaced`, ExitCode.dataErr);
    }
    chmodSync(temp, 0o755);
    const version = await input.version(temp);
    if (version === undefined) throw new BagtowerError(`the downloaded ${name} does not run on this machine; ${input.executable} was not replaced`);
    renameSync(temp, input.executable);
    fsyncDir(dir);
    dropPageCache(input.executable);
    return { ...result, status: "updated", sha256: expected, version };
  } catch (error) {
    // A directory of another user (a root install), a full or read-only disk: the file system's word, in one line.
    if (error instanceof BagtowerError || !(error as NodeJS.ErrnoException).code) throw error;
    throw new BagtowerError(`${dir}: ${errorMessage(error)}; ${input.executable} was not replaced (run update as the user that installed it)`, ExitCode.failure, { cause: error });
  } finally {
    if (existsSync(temp)) unlinkSync(temp);
  }
}
