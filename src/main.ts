import { defineCommand, type CommandDef } from "citty";
import { globalArgs, parseCommandArgs, resolveCommandPath } from "./argv.ts";
import { commandRunner, type CommandData } from "./commands/_shared.ts";
import { commandTree } from "./commands/index.ts";
import { BagtowerError, ExitCode } from "./errors.ts";
import { createLogger, logLevel, timestamped } from "./log.ts";
import { writeStderr, writeStdout } from "./output.ts";
import { VERSION } from "./version.ts";

export const rootCommand: CommandDef<any> = defineCommand({
  meta: { name: "bagtower", version: VERSION, description: "Device telemetry agent and receiver" },
  args: { ...globalArgs, version: { type: "boolean", description: "Print the version" } },
  // The root is handed down (completions walks the whole tree), so nothing below imports this file.
  subCommands: commandTree(() => rootCommand),
});

function _causeChain(error: unknown): string[] {
  const lines: string[] = [];
  let cause = (error as { cause?: unknown })?.cause;
  while (cause !== undefined && lines.length < 5) {
    lines.push(`  caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    cause = (cause as { cause?: unknown })?.cause;
  }
  return lines;
}

/**
 * Runs one command line and returns the exit code (SPEC §1). The single error boundary: expected
 * failures print one line; anything else prints one line too, with the stack under --verbose.
 */
export async function runCli(argv: readonly string[], data: CommandData = {}): Promise<number> {
  const verbose = argv.includes("--verbose");
  // The run's one logger, handed to the command's Context. A cron run's stderr is the log file:
  // its lines, errors included, carry the time.
  const log =
    data.overrides?.log ??
    createLogger(logLevel({ verbose, quiet: argv.includes("--quiet") }), argv.includes("--cron") ? timestamped(writeStderr, data.overrides?.now) : writeStderr);
  const write = data.overrides?.write ?? writeStdout;
  try {
    const { path, rest } = await resolveCommandPath(rootCommand, argv);
    const leaf = path.at(-1)!;
    const names = path.map((p) => p.name);
    const name = names.join(" ");
    const args = (typeof leaf.cmd.args === "function" ? await leaf.cmd.args() : await leaf.cmd.args) ?? {};
    const { values, help } = parseCommandArgs(name, { ...globalArgs, ...args, version: { type: "boolean" } }, rest);
    const run = commandRunner(leaf.cmd);
    if (help) {
      write(await (await import("./help.ts")).renderHelp(leaf.cmd, names, run !== undefined));
      return ExitCode.ok;
    }
    if (values.version) {
      write(`${VERSION}\n`);
      return ExitCode.ok;
    }
    if (!run) {
      write(await (await import("./help.ts")).renderHelp(leaf.cmd, names, false));
      log.error(`'${name}' needs a command: see the list above.`);
      return ExitCode.usage;
    }
    // citty defines the tree and renders help; parsing is ours (strict, and without node:util's cost).
    // The one logger of the run goes to the command's Context (push --cron's timestamped lines too).
    return (await run(values, { ...data, overrides: { ...data.overrides, log } })).exitCode;
  } catch (error) {
    if (error instanceof BagtowerError) {
      log.error(error.message);
      if (verbose) for (const line of _causeChain(error)) log.error(line);
      return error.exitCode;
    }
    log.error(`unexpected error: ${error instanceof Error ? error.message : String(error)} (run with --verbose for details, and please report it)`);
    if (verbose && error instanceof Error && error.stack) log.error(error.stack);
    return ExitCode.failure;
  }
}
