// Completion scripts: the files in completions/ are `bagtower completions <shell>` (regenerate with
// `npm run completions`), and each loads in the real shell and completes a subcommand and a flag.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/main.ts";
import { REPO } from "../helpers/binary.ts";
import { testContext } from "../helpers/context.ts";
import { skipWithout } from "../helpers/prereq.ts";

const FILES = { bash: "completions/bagtower.bash", zsh: "completions/_bagtower", fish: "completions/bagtower.fish" } as const;

async function generated(shell: string): Promise<string> {
  const t = testContext();
  try {
    expect(await runCli(["completions", shell], { overrides: t.ctx })).toBe(0);
    return t.out.join("");
  } finally {
    t.cleanup();
  }
}

const run = (argv: string[]) => {
  const result = Bun.spawnSync(argv, { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH, HOME: "/tmp" } });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
};

describe("completions", () => {
  test.each(Object.entries(FILES))("completions/%s is what `bagtower completions` prints", async (shell, file) => {
    expect(readFileSync(join(REPO, file), "utf8")).toBe(await generated(shell));
  });

  test("an unknown shell is a usage error", async () => {
    const t = testContext();
    expect(await runCli(["completions", "tcsh"], { overrides: t.ctx })).toBe(2);
    t.cleanup();
  });

  test.skipIf(skipWithout("bash"))("bash completes a subcommand, a flag and an enum value", () => {
    const script = `source ${FILES.bash}
c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bagtower; echo "\${COMPREPLY[*]}"; }
c bagtower spo; c bagtower spool fl; c bagtower --home /x collect --wat; c bagtower collect --format infl`;
    const { code, out, err } = run(["bash", "-c", script]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toBe("spool\nflush\n--watch\ninflux\n");
  });

  test.skipIf(skipWithout("zsh"))("zsh completes a subcommand and a flag (compadd captured)", () => {
    const script = `autoload -U compinit; compinit -u -D; source ${FILES.zsh}
compadd() { shift; print -r -- "$@"; }
words=(bagtower ""); CURRENT=2; _bagtower
words=(bagtower cron install --p); CURRENT=4; _bagtower`;
    const { code, out } = run(["zsh", "-f", "-c", script]);
    expect(code).toBe(0);
    expect(out).toBe("collect push spool cron serve completions id update ping help\n--home --config --verbose --quiet --period --help\n");
  }, 30_000); // compinit scans every function directory: seconds on a busy machine

  test.skipIf(skipWithout("fish"))("fish completes a subcommand and a flag", () => {
    const { code, out } = run(["fish", "-c", `source ${FILES.fish}; complete -C "bagtower spo"; complete -C "bagtower spool purge --ye"`]);
    expect(code).toBe(0);
    expect(out.split("\n").map((l) => l.split("\t")[0])).toEqual(["spool", "--yes", ""]);
  });
});
