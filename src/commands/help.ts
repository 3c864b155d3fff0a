import type { CommandDef } from "citty";
import { globalArgs, resolveCommandPath } from "../argv.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { renderHelp } from "../help.ts";
import { commandRunner, defineBagtowerCommand } from "./_shared.ts";

/** `bagtower help spool flush`: the same text as `bagtower spool flush --help`. */
export const helpCommand = (root: CommandDef<any>) =>
  defineBagtowerCommand({
    meta: { name: "help", description: "Show the help of a command, e.g. bagtower help spool flush" },
    args: {
      ...globalArgs,
      command: { type: "positional", required: false, variadic: true, valueHint: "COMMAND", description: "A command and its subcommand, e.g. serve key" },
    },
    async run({ args, ctx }) {
      const words = args.command;
      const flag = words.find((word) => word.startsWith("-"));
      if (flag) throw new UsageError(`help takes command names, not options (got '${flag}'). See 'bagtower help --help'.`);
      const { path, rest } = await resolveCommandPath(root, words);
      const names = path.map((p) => p.name);
      if (rest.length) throw new UsageError(`'${names.join(" ")}' has no command '${rest[0]}'. See 'bagtower help ${names.slice(1).join(" ")}'.`);
      const leaf = path.at(-1)!.cmd;
      ctx.write(await renderHelp(leaf, names, commandRunner(leaf) !== undefined));
      return { exitCode: ExitCode.ok, data: { command: names } };
    },
  });
