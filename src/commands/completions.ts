import { defineCommand } from "citty";
import { globalArgs } from "../argv.ts";
import { completionScript, SHELLS, type Shell } from "../completions/scripts.ts";
import { completionTree } from "../completions/tree.ts";
import { UsageError } from "../errors.ts";
import { contextFor, type CommandData } from "./shared.ts";

export default defineCommand({
  meta: { name: "completions", description: "Print a shell completion script (bash, zsh or fish)" },
  args: {
    ...globalArgs,
    shell: { type: "positional", description: "bash, zsh or fish", options: [...SHELLS] } as { type: "positional"; description: string },
  },
  async run({ args, data }) {
    const ctx = contextFor(args, data as CommandData);
    const shell = args.shell as string | undefined;
    if (!shell || !SHELLS.includes(shell as Shell)) throw new UsageError(`completions needs a shell: ${SHELLS.join(", ")} (got ${shell ?? "none"})`);
    const { rootCommand } = await import("../main.ts");
    const script = completionScript(shell as Shell, await completionTree(rootCommand, { version: { type: "boolean", description: "Print the version" } }));
    ctx.write(script);
    return { shell };
  },
});
