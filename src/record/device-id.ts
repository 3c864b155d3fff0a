import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "../posix-path.ts";
import { fsyncDir } from "../atomic-file.ts";
import type { Context } from "../context.ts";
import { BagtowerError, ConfigError, errorMessage } from "../errors.ts";
import { DEVICE_ID_PATTERN, DEVICE_ID_RULE } from "./device-id-rules.ts";

/** Random hex characters after the host name: 48 bits, so 10,000 devices all named `raspberrypi` collide with odds of 1 in 5 million. */
export const DEVICE_ID_RANDOM_BYTES = 6;

export type DeviceIdSource = "stored" | "generated";

export interface GeneratedDeviceId {
  id: string;
  source: DeviceIdSource;
  path: string;
}

/** The host name as the first part of a device id: lowercase, only id characters, at most a DNS label long. */
export function deviceIdPrefix(hostname: string): string {
  const cleaned = hostname
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 63)
    .replace(/[-.]+$/, "");
  return cleaned || "device";
}

/** `<hostname>-<12 hex>`: a person recognises the device on a dashboard, the suffix keeps it unique. */
export function makeDeviceId(hostname: string, random: Uint8Array): string {
  return `${deviceIdPrefix(hostname)}-${Buffer.from(random).toString("hex")}`;
}

/** The stored id: its first line, trimmed; anything but a valid device id is an error, never silently replaced. */
export function parseDeviceIdFile(text: string, path: string): string {
  const id = text.split("\n", 1)[0]!.trim();
  if (!DEVICE_ID_PATTERN.test(id)) {
    throw new ConfigError(`${path}: "${id.slice(0, 40)}" is not a device id (${DEVICE_ID_RULE}); fix it, or delete the file to generate a new one`);
  }
  return id;
}

function _readStored(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new BagtowerError(`cannot read the device id in ${path}: ${errorMessage(error)}`, undefined, { cause: error });
  }
  return parseDeviceIdFile(text, path);
}

/**
 * Creates `path` holding `id` unless it exists, and returns what the file holds. The content is
 * written and fsynced under a temp name, then hard-linked into place: link(2) fails when the target
 * exists, so two first runs at the same instant (cron's push and a manual collect) agree on one id
 * instead of the later rename silently replacing the earlier one.
 */
function _createOnce(path: string, id: string, seq: number): string {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.device-id.${process.pid}.${seq}.tmp`);
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, Buffer.from(`${id}\n`));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return _readStored(path) ?? id;
  } finally {
    unlinkSync(temp);
  }
  fsyncDir(dir);
  return id;
}

let _tempSeq = 0;

/**
 * The device id used when none is configured (`--device-id`, BAGTOWER_DEVICE_ID, config.json):
 * generated once from the host name and a secure random suffix, stored in the home, never rotated.
 * The rotating machine id is not a device's identity: a receiver would see a new device every 3 days.
 */
export function resolveGeneratedDeviceId(ctx: Context, hostname: string): GeneratedDeviceId {
  const path = ctx.paths.deviceId;
  const stored = _readStored(path);
  if (stored !== undefined) return { id: stored, source: "stored", path };
  const made = makeDeviceId(hostname, ctx.randomBytes(DEVICE_ID_RANDOM_BYTES));
  try {
    const id = _createOnce(path, made, ++_tempSeq);
    return { id, source: id === made ? "generated" : "stored", path };
  } catch (error) {
    if (error instanceof BagtowerError) throw error;
    throw new BagtowerError(`cannot store the device id in ${path}: ${errorMessage(error)} (make the home writable, or set --device-id)`, undefined, { cause: error });
  }
}
