import { statSync, accessSync, constants } from "node:fs";
import { join } from "../posix-path.ts";
import type { Config } from "../config/schema.ts";
import { BagtowerError, ConfigError, ExitCode, errorMessage } from "../errors.ts";
import { BUILTIN_IDS } from "../record/builtin-ids.ts";
import { didYouMean } from "../suggest.ts";

/** An id in items.only / items.disable that names nothing; the command turns it into a usage error for `--only`. */
export class UnknownItemError extends BagtowerError {
  readonly field: "items.only" | "items.disable";
  constructor(field: "items.only" | "items.disable", message: string) {
    super(message, ExitCode.config);
    this.name = "UnknownItemError";
    this.field = field;
  }
}

/**
 * Throws for the first id of items.only or items.disable that is neither built in, nor given with
 * --set, nor printed by a collectors.d program this run. When a program failed (or none ran), its
 * ids are not known, so nothing is called unknown (a flaky script must not fail every push).
 */
export function checkItemIds(items: Config["items"], known: Iterable<string>, customUnknown: boolean): void {
  if (customUnknown) return;
  const names = new Set([...BUILTIN_IDS, ...known]);
  for (const field of ["items.only", "items.disable"] as const) {
    const ids = field === "items.only" ? (items.only ?? []) : items.disable;
    const unknown = ids.find((id) => !names.has(id));
    if (unknown === undefined) continue;
    throw new UnknownItemError(
      field,
      `${field}: no item named "${unknown}".${didYouMean(unknown, [...names])} Built-in items: ${BUILTIN_IDS.join(", ")}; or a collectors.d program's id`,
    );
  }
}

/**
 * The root every item reads under must be a directory we can list, holding proc/ or sys/: a typo in
 * --root is one clear error (exit 78), not a record whose every item failed.
 */
export function checkRoot(root: string): void {
  const fail = (why: string, cause?: unknown) => {
    throw new ConfigError(`root directory ${root} (--root, collect.rootfs): ${why}`, { cause });
  };
  try {
    if (!statSync(root).isDirectory()) fail("not a directory");
    accessSync(root, constants.R_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    fail(code === "ENOENT" ? "no such directory" : `cannot be read (${code ?? errorMessage(error)})`, error);
  }
  if (root === "/") return;
  const has = (name: string) => {
    try {
      return statSync(join(root, name)).isDirectory();
    } catch {
      return false;
    }
  };
  if (!has("proc") && !has("sys")) fail("holds neither proc/ nor sys/, so it is not a device's root");
}
