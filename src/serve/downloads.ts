// What serve hands out under /download/: its own executable under its platform's release name, and
// the release files of `serve --downloads DIR` (another CPU's or libc's builds), with a SHA256SUMS
// that the installer and `bagtower update` check every download against.
import { readdirSync, statSync } from "node:fs";
import { join } from "../posix-path.ts";
import { BUILD_TARGET, releaseName } from "../build-target.ts";
import type { Logger } from "../log.ts";
import { HttpError } from "./http-errors.ts";

/** The release file names install.sh asks for: `bagtower-linux-<arch>[-musl]`. */
export const RELEASE_NAME = /^bagtower-linux-(?:x64|arm64)(?:-musl)?$/;

export interface DownloadsOptions {
  /** The running executable and its release name; absent when serve runs from source under bun. */
  self?: { path: string; name: string };
  /** `--downloads DIR`. */
  dir?: string;
  log: Logger;
}

/**
 * The running executable, when this is one (not `bun src/cli.ts`). /proc/self/exe, not its path:
 * an update that renames a new binary over the file leaves this process's own inode here, the
 * one whose sum it computed.
 */
export function selfExecutable(): DownloadsOptions["self"] {
  return BUILD_TARGET ? { path: "/proc/self/exe", name: releaseName(BUILD_TARGET) } : undefined;
}

interface DownloadFile {
  path: string;
  /** The sum, or why the file could not be read: computed on the first request that needs it, then kept. */
  sha256(): Promise<string | Error>;
}

/** Bytes hashed between two turns of the event loop: under a millisecond of work each. */
const _HASH_SLICE = 256 * 1024;

/**
 * SHA-256 of a file, read in slices with a turn of the event loop after each: a 100 MB executable
 * is never in memory at once, and serve hashing its downloads at start never holds a request up
 * for more than a slice (a stream of the file hashed it in one go: ~250 ms with ingest waiting).
 */
export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  const file = Bun.file(path);
  // Read to the end rather than to stat's size: a file whose stat says 0 is still read (and fails, if its read does).
  for (let at = 0; ; at += _HASH_SLICE) {
    const bytes = await file.slice(at, at + _HASH_SLICE).bytes();
    hasher.update(bytes);
    if (bytes.length < _HASH_SLICE) return hasher.digest("hex");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The release files of DIR (other names are not release files and are left alone). */
function _listDir(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new Error(`--downloads ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return names.filter((name) => RELEASE_NAME.test(name) && statSync(join(dir, name)).isFile()).sort();
}

/**
 * The files, each hashed once, when a request first needs its sum (SHA256SUMS or the file itself;
 * the request waits for it). Not at start: the running executable alone is ~110 MB, about a third of
 * a second of CPU here and several seconds on a Pi, which a restarted serve would spend while its
 * fleet's first pushes wait, for downloads that may never come. A file changed after its sum was
 * taken keeps the old sum: the installer then refuses it, as it should refuse anything that is not
 * what serve vouched for.
 */
export function createDownloads(options: DownloadsOptions) {
  const files = new Map<string, DownloadFile>();
  const add = (name: string, path: string) => {
    let sum: Promise<string | Error> | undefined;
    const sha256 = () =>
      (sum ??= sha256File(path).catch((error: Error) => {
        options.log.error(`--downloads: ${path}: ${error.message}; it is not served`);
        return error;
      }));
    files.set(name, { path, sha256 });
  };
  /** A file's sum; one that could not be read is a 503 naming it (it has no sum to be checked against), until serve restarts. */
  const sumOf = async (name: string, file: DownloadFile): Promise<string> => {
    const sum = await file.sha256();
    if (sum instanceof Error) throw new HttpError(503, `${name}: could not be read (${sum.message}); fix the file and restart serve`);
    return sum;
  };
  if (options.self) add(options.self.name, options.self.path);
  for (const name of options.dir ? _listDir(options.dir) : []) {
    // The running executable is what this receiver is: a stale copy in DIR must not replace it.
    if (files.has(name)) options.log.info(`--downloads: ${join(options.dir!, name)} is not served: ${name} is this serve's own executable`);
    else add(name, join(options.dir!, name));
  }

  async function sums(): Promise<string> {
    const lines = await Promise.all([...files].map(async ([name, file]) => `${await sumOf(name, file)}  ${name}\n`));
    return lines.join("");
  }

  /** The file named, streamed (Bun answers HEAD and Range for a file body by itself). */
  async function serve(name: string): Promise<Response> {
    if (name === "SHA256SUMS") {
      if (files.size === 0) throw new HttpError(404, _noneMessage(options));
      return new Response(await sums(), { headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" } });
    }
    const file = files.get(name);
    if (!file) {
      if (RELEASE_NAME.test(name)) throw new HttpError(404, `${name}: not here (this receiver has ${[...files.keys()].join(", ") || "no executables"}; serve --downloads DIR adds release files)`);
      throw new HttpError(404, `/download/${name.slice(0, 80)}: not a download (expected SHA256SUMS or bagtower-linux-<x64|arm64>[-musl])`);
    }
    await sumOf(name, file);
    return new Response(Bun.file(file.path), { headers: { "Content-Type": "application/octet-stream", "Cache-Control": "no-cache" } });
  }

  return { serve, sums, names: () => [...files.keys()] };
}

export type Downloads = ReturnType<typeof createDownloads>;

function _noneMessage(options: DownloadsOptions): string {
  const why = options.self ? "" : "this serve runs from source (under bun), not as the bagtower executable; ";
  return `no downloads: ${why}start the built executable, or give serve --downloads DIR (e.g. the dist/ of npm run build:all)`;
}
