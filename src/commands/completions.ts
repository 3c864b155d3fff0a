import type { CommandDef } from "citty";
import { globalArgs } from "../argv.ts";
import { completionScript, SHELLS, type Shell } from "../completions/scripts.ts";
import { completionTree } from "../completions/tree.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { defineBagtowerCommand } from "./_shared.ts";

/** The completions command for the tree under `root` (passed in: nothing below main.ts imports it). */
export const completionsCommand = (root: CommandDef<any>) =>
  defineBagtowerCommand({
    meta: { name: "completions", description: "Print a shell completion script (bash, zsh or fish)" },
    args: {
      ...globalArgs,
      shell: { type: "positional", description: "bash, zsh or fish", options: [...SHELLS] },
    },
    async run({ args, ctx }) {
      const shell = args.shell;
      if (!shell || !SHELLS.includes(shell as Shell)) throw new UsageError(`completions needs a shell: ${SHELLS.join(", ")} (got ${shell ?? "none"})`);
      const script = completionScript(shell as Shell, await completionTree(root, { version: { type: "boolean", description: "Print the version" } }));
      ctx.write(script);
      return { exitCode: ExitCode.ok, data: { shell } };
    },
  });
