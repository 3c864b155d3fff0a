import { readFileSync } from "node:fs";
import * as v from "valibot";
import type { Context } from "../context.ts";
import { ConfigError } from "../errors.ts";
import { issuePath, issueText } from "../issue-text.ts";
import { jsonSyntaxError } from "../json-error.ts";
import { didYouMean } from "../suggest.ts";
import type { ConfigOverride } from "./override.ts";
import { cachedConfig } from "./cache.ts";
import type { Config } from "./schema.ts";
import { envAdHocSink } from "./sinks.ts";

type EnvKind = "string" | "number" | "list" | "tags" | "boolean";

/** The BAGTOWER_* variables and the config field each one sets (chouette-style configuration). */
const ENV_FIELDS: ReadonlyArray<readonly [string, string, EnvKind]> = [
  ["BAGTOWER_DEVICE_ID", "deviceId", "string"],
  ["BAGTOWER_TAGS", "tags", "tags"],
  ["BAGTOWER_ITEMS_ONLY", "items.only", "list"],
  ["BAGTOWER_ITEMS_DISABLE", "items.disable", "list"],
  ["BAGTOWER_ROOTFS", "collect.rootfs", "string"],
  ["BAGTOWER_CPU_SAMPLE_MS", "collect.cpuSampleMs", "number"],
  ["BAGTOWER_COLLECT_TIMEOUT_MS", "collect.timeoutMs", "number"],
  ["BAGTOWER_SPOOL_MAX_SIZE_KB", "spool.maxSizeKb", "number"],
  ["BAGTOWER_SPOOL_EXPIRY_MINUTES", "spool.expiryMinutes", "number"],
  ["BAGTOWER_SPOOL_WHEN_FULL", "spool.whenFull", "string"],
  ["BAGTOWER_RATE_LIMIT_ENABLED", "rateLimit.enabled", "boolean"],
  ["BAGTOWER_RATE_LIMIT_STRATEGY", "rateLimit.strategy", "string"],
  ["BAGTOWER_HTTP_TIMEOUT_MS", "http.timeoutMs", "number"],
  ["BAGTOWER_HTTP_RETRIES", "http.retries", "number"],
  ["BAGTOWER_HTTP_COMPRESS", "http.compress", "boolean"],
  ["BAGTOWER_FLUSH_MAX_PER_RUN", "flush.maxPerRun", "number"],
];

export const ENV_VARIABLES = ENV_FIELDS.map(([name, path]) => ({ name, path }));

/** Converts an environment string; a value that does not convert is passed on so the schema names it. */
function _fromEnv(raw: string, kind: EnvKind): unknown {
  switch (kind) {
    case "number":
      return /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
    case "boolean":
      return /^(1|true|yes|on)$/i.test(raw) ? true : /^(0|false|no|off)$/i.test(raw) ? false : raw;
    case "list":
      return splitList(raw);
    case "tags":
      return parseTags(raw);
    default:
      return raw;
  }
}

export function splitList(raw: string): string[] {
  return raw
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** `location:london,rack:3` (Datadog's tag syntax; `=` is accepted too) → `{ location: "london", rack: "3" }`. */
export function parseTags(raw: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of splitList(raw)) {
    const at = part.search(/[:=]/);
    if (at <= 0) throw new ConfigError(`BAGTOWER_TAGS: expected name:value pairs separated by commas, got "${part}"`);
    tags[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return tags;
}

export function envOverrides(env: Readonly<Record<string, string | undefined>>): ConfigOverride[] {
  const overrides: ConfigOverride[] = [];
  for (const [name, path, kind] of ENV_FIELDS) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const value = _fromEnv(raw, kind);
    if (kind === "tags") {
      // Tags merge per name, so BAGTOWER_TAGS=rack:3 keeps config.json's location tag.
      for (const [tag, tagValue] of Object.entries(value as Record<string, string>)) {
        overrides.push({ path: `${path}.${tag}`, value: tagValue, source: name });
      }
    } else {
      overrides.push({ path, value, source: name });
    }
  }
  return overrides;
}

function _isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function _setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (!_isPlainObject(next)) return; // config.json has a wrong shape here: the schema reports it
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** config.json's text, undefined when absent (unless the user named the file: then it must exist). */
function _readConfigText(path: string, mustExist: boolean): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !mustExist) return undefined;
    throw new ConfigError(`${path}: cannot read the config file (${code ?? "error"}); check the path and its permissions`, { cause: error });
  }
}

/** config.json as an object, {} when absent (unless the user named the file: then it must exist). */
export function readConfigFile(path: string, mustExist: boolean): Record<string, unknown> {
  const text = _readConfigText(path, mustExist);
  return text === undefined ? {} : _parseConfigText(text, path);
}

function _parseConfigText(text: string, path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const at = jsonSyntaxError(text);
    const where = at ? `${path}:${at.line}:${at.column}` : path;
    throw new ConfigError(`${where}: not valid JSON: ${at?.reason ?? (error as Error).message}`, { cause: error });
  }
  if (!_isPlainObject(parsed)) throw new ConfigError(`${path}: expected a JSON object at the top level`);
  return parsed;
}

function _sourceOf(path: string, overrides: ConfigOverride[], fileLabel: string): string {
  for (let i = overrides.length - 1; i >= 0; i--) {
    const o = overrides[i]!;
    if (path === o.path || path.startsWith(`${o.path}.`) || o.path.startsWith(`${path}.`)) return o.source;
  }
  return fileLabel;
}

/**
 * Built-in defaults < config.json < BAGTOWER_* < flags, validated once by one schema. An invalid
 * value throws a ConfigError (exit 78) naming where it came from, the field path and the rule.
 */
export function resolveConfig(file: Record<string, unknown>, fileLabel: string, overrides: ConfigOverride[]): Config {
  const merged = structuredClone(file);
  for (const { path, value } of overrides) _setPath(merged, path, value);
  const configSchema = _configSchema();
  const result = v.safeParse(configSchema, merged);
  if (result.success) return result.output;
  const path = issuePath(result.issues, "(top level)");
  const source = _sourceOf(path, overrides, fileLabel);
  const issue = result.issues[0];
  // A strict object's extra key (valibot expects `never` there): suggest the field it resembles.
  if (issue.type === "strict_object" && issue.expected === "never" && typeof issue.input === "string") {
    const fields = _fieldsAt(configSchema, (issue.path ?? []).slice(0, -1).map((item) => item.key));
    throw new ConfigError(`${source}: ${path}: unknown field.${didYouMean(issue.input, fields)} The fields are listed in docs/CONFIGURATION.md.`);
  }
  throw new ConfigError(`${source}: ${issueText(result.issues, "(top level)")}`);
}

type _Schema = { type: string; wrapped?: _Schema; item?: _Schema; entries?: Record<string, _Schema>; options?: _Schema[]; getter?: (input: unknown) => _Schema };

/** The field names of the object at `keys` in the schema (through optional, array and union wrappers). */
function _fieldsAt(schema: unknown, keys: readonly unknown[]): string[] {
  let nodes = [schema as _Schema];
  const unwrap = (node: _Schema): _Schema[] => {
    if (node.wrapped) return unwrap(node.wrapped);
    if (node.getter) return unwrap(node.getter(undefined)); // the lazily built serve section
    if (node.options) return node.options.flatMap(unwrap);
    return [node];
  };
  for (const key of keys) {
    nodes = nodes.flatMap(unwrap).flatMap((node) => {
      if (node.item && typeof key === "number") return [node.item];
      const entry = typeof key === "string" ? node.entries?.[key] : undefined;
      return entry ? [entry] : [];
    });
  }
  return nodes.flatMap(unwrap).flatMap((node) => Object.keys(node.entries ?? {}));
}

/**
 * The schema, built on first use: a run that finds its config in the cache (config/cache.ts)
 * neither builds it nor runs it, about a tenth of collect's own work.
 */
function _configSchema(): typeof import("./schema.ts").configSchema {
  return (require("./schema.ts") as typeof import("./schema.ts")).configSchema;
}

export function loadConfig(ctx: Context, flagOverrides: ConfigOverride[] = []): Config {
  const path = ctx.paths.config;
  const text = _readConfigText(path, ctx.configGiven);
  const overrides = [...envOverrides(ctx.env), ...envAdHocSink(ctx.env), ...flagOverrides];
  return cachedConfig(ctx.paths.state, text ?? "", overrides, () => resolveConfig(text === undefined ? {} : _parseConfigText(text, path), path, overrides));
}
