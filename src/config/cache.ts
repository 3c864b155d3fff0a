import { STATE_FILES } from "../paths.ts";
import { isJsonObject, readState, writeState } from "../state.ts";
import { VERSION } from "../version.ts";
import type { ConfigOverride } from "./override.ts";
import type { Config } from "./schema.ts";

interface _Entry {
  key: string;
  config: Config;
}

/**
 * The resolved config of the last run, reused while nothing it came from has changed: the same
 * bagtower version, the same config.json text (its length and 64-bit hash: "" when there is none)
 * and the same overrides from the environment and flags (hashed, so no key in them is written
 * twice). Building and running the config schema is about a tenth of collect's own work; reading
 * this file is a small fraction of it. A config that does not validate is never stored: its error
 * comes again on every run. The file sits in state/ with mode 0600, like config.json.
 */
export function cachedConfig(stateDir: string, text: string, overrides: readonly ConfigOverride[], resolve: () => Config): Config {
  const key = `${VERSION}:${text.length}:${Bun.hash(text).toString(36)}:${Bun.hash(JSON.stringify(overrides)).toString(36)}`;
  const cached = readState(stateDir, STATE_FILES.configCache, (json): json is _Entry => isJsonObject(json) && json.key === key && isJsonObject(json.config));
  if (cached) return cached.config;
  const config = resolve();
  writeState(stateDir, STATE_FILES.configCache, { key, config } satisfies _Entry);
  return config;
}
