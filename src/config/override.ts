/** One value set above config.json: by an environment variable or a command-line flag. */
export interface ConfigOverride {
  path: string;
  value: unknown;
  /** What the user would look at to fix it: `BAGTOWER_TAGS`, `--root`. */
  source: string;
}
