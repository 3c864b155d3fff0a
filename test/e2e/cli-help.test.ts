// The compiled binary's help and usage errors as a new user meets them (issue 15 §3): every
// command's --help fits 100 columns with full `bagtower …` usage lines, `bagtower help <command>`
// prints the same, unknown flags are named with a suggestion, and conflicting flags are refused.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, runBinary } from "../helpers/binary.ts";
import { tempDir } from "../helpers/context.ts";

const tmp = tempDir("bagtower-cli-help-");
const home = join(tmp.dir, "home");
const env = () => ({ BAGTOWER_HOME: home });

/** Every command path of the tree, found by reading the help itself: root, then each COMMANDS entry. */
async function commandPaths(): Promise<string[][]> {
  const paths: string[][] = [];
  const visit = async (path: string[]) => {
    paths.push(path);
    const { stdout } = await runBinary([...path, "--help"], { env: env() });
    const section = stdout.split("\nCOMMANDS\n")[1]?.split("\n\n")[0] ?? "";
    for (const line of section.split("\n")) {
      const name = /^ {2}([a-z][a-z-]*)\s/.exec(line)?.[1];
      if (name) await visit([...path, name]);
    }
  };
  await visit([]);
  return paths;
}

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  await buildBinary();
}, 120_000);

describe("--help", () => {
  test("every command's help: at most 100 columns, no trailing spaces, 'bagtower <path>' usage lines, exit 0", async () => {
    const paths = await commandPaths();
    // The tree as it is today: every command and subcommand is reached.
    for (const expected of [["collect"], ["spool", "flush"], ["cron", "install"], ["serve", "key"], ["help"], ["completions"]]) {
      expect(paths.map((p) => p.join(" "))).toContain(expected.join(" "));
    }
    for (const path of paths) {
      const { code, stdout, stderr } = await runBinary([...path, "--help"], { env: env() });
      expect({ path, code, stderr }).toEqual({ path, code: 0, stderr: "" });
      const lines = stdout.split("\n");
      expect(lines.filter((line) => line.length > 100)).toEqual([]);
      expect(lines.filter((line) => /\s$/.test(line))).toEqual([]);
      const usage = lines.slice(lines.indexOf("USAGE") + 1, lines.indexOf("", lines.indexOf("USAGE")));
      expect(usage.length).toBeGreaterThan(0);
      for (const line of usage) expect(line).toStartWith(`  ${["bagtower", ...path].join(" ")}`);
      // No colour codes, no citty right-aligned option column.
      expect(stdout).not.toContain("\x1b[");
      expect(stdout).not.toMatch(/^ {8,}--/m);
    }
  }, 120_000);

  test("options are left-aligned with their value hint; an enum's values are in its description", async () => {
    const { stdout } = await runBinary(["spool", "flush", "--help"], { env: env() });
    expect(stdout).toContain("\n  --home DIR       State directory");
    expect(stdout).toMatch(/\n {2}--format FORMAT {2}Wire format for --server \(default bagtower, or mqtt for mqtt\(s\):\/\/\): one of\n {19}bagtower, pattoo, datadog,/);
    expect(stdout).toContain("USAGE\n  bagtower spool flush [options]\n");
  });

  test("bagtower help <command> [sub] prints what --help prints; an unknown one is a usage error with a suggestion", async () => {
    for (const path of [[], ["collect"], ["spool", "flush"], ["serve", "key"]]) {
      const viaHelp = await runBinary(["help", ...path], { env: env() });
      const viaFlag = await runBinary([...path, "--help"], { env: env() });
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toBe(viaFlag.stdout);
    }
    const unknown = await runBinary(["help", "colect"], { env: env() });
    expect(unknown).toEqual({ code: 2, stdout: "", stderr: "error: unknown command 'colect' for 'bagtower'. Did you mean collect? See 'bagtower --help'.\n" });
    const sub = await runBinary(["help", "spool", "flsh"], { env: env() });
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("Did you mean flush?");
    const extra = await runBinary(["help", "collect", "more"], { env: env() });
    expect(extra).toEqual({ code: 2, stdout: "", stderr: "error: 'bagtower collect' has no command 'more'. See 'bagtower help collect'.\n" });
  });
});

describe("unknown options", () => {
  test("on a command with subcommands, the typo is the option, not its value taken for a command", async () => {
    const result = await runBinary(["serve", "--chanel", "x"], { env: env() });
    expect(result).toEqual({ code: 2, stdout: "", stderr: "error: unknown option --chanel for 'bagtower serve'. Did you mean --channel? See 'bagtower serve --help'.\n" });
  });

  test("everywhere with a suggestion: before a subcommand, on a subcommand, a single-dash long name", async () => {
    for (const [args, message] of [
      [["--hme", "x", "collect"], "unknown option --hme for 'bagtower'. Did you mean --home?"],
      [["spool", "list", "--rejectd"], "unknown option --rejectd for 'bagtower spool list'. Did you mean --rejected?"],
      [["collect", "-format", "json"], "unknown option -format for 'bagtower collect'. Did you mean --format?"],
      [["spool", "--hme", "x", "list"], "unknown option --hme for 'bagtower spool'. Did you mean --home?"],
    ] as const) {
      const result = await runBinary([...args], { env: env() });
      expect(result.code).toBe(2);
      expect(result.stderr).toStartWith(`error: ${message}`);
      expect(result.stderr.split("\n")).toHaveLength(2);
    }
    // A subcommand's own flag before its name still works, and a global flag before a group's subcommand.
    expect((await runBinary(["serve", "--json", "key"], { env: env() })).code).toBe(0);
    const stats = await runBinary(["spool", "--home", home, "stats", "--json"]);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toBeDefined();
  });
});

describe("conflicting flags are usage errors (exit 2, one line)", () => {
  const cases: [string[], string][] = [
    [["collect", "--pretty", "--format", "influx"], "error: --pretty prints indented JSON, so it cannot go with --format influx; pass one of them\n"],
    [["push", "--server", "http://127.0.0.1:9/", "--database", "db"], "error: --database applies to --format influx only, not bagtower (the default); drop it or add --format influx\n"],
    [["push", "--server", "http://127.0.0.1:9/", "--format", "datadog", "--bucket", "b"], "error: --bucket applies to --format influx only, not datadog; drop it or add --format influx\n"],
    [
      ["spool", "flush", "--server", "http://127.0.0.1:9/", "--format", "influx", "--database", "db", "--bucket", "b"],
      "error: --database (Influx 1.x) and --bucket (Influx 2) name different APIs: pass --database DB, or --org ORG --bucket BUCKET\n",
    ],
    [["push", "--server", "http://127.0.0.1:9/", "--format", "influx", "--org", "o"], "error: --org needs --bucket (Influx 2 writes to a bucket of an organisation)\n"],
  ];
  for (const [args, stderr] of cases) {
    test(args.join(" "), async () => {
      expect(await runBinary(args, { env: env() })).toEqual({ code: 2, stdout: "", stderr });
    });
  }

  test("the combinations that agree still run", async () => {
    writeFileSync(join(home, "config.json"), "{}");
    const pretty = await runBinary(["collect", "--pretty", "--format", "pretty", "--only", "uptime"], { env: env() });
    expect(pretty.code).toBe(0);
    expect(JSON.parse(pretty.stdout).data[0].id).toBe("uptime");
  });
});
