// What every command shares (nuxt/cli keeps it in commands/_shared.ts): the typed seam between
// runCli's strict parser and a command's run. The sink flags of push and spool flush are in
// _sink-flags.ts, so that the main chunk, which every command loads, does not carry them.
import type { ArgsDef, CommandDef, CommandMeta, SubCommandsDef } from "citty";
import type { ParsedArgs } from "../argv.ts";
import type { Context, GlobalFlags } from "../context.ts";

/** What runCli hands every command besides its arguments: test seams for the Context. */
export interface CommandData {
  overrides?: Partial<Context>;
  /** Ends long-running commands (collect --watch, serve) instead of SIGINT/SIGTERM. */
  stop?: AbortSignal;
  /** The command line is this process's own (src/cli.ts), not a test's call: serve may execute itself again (runtime-options.ts). */
  processEntry?: boolean;
}

/** What a command's run returns: its exit code, and its data for tests that call it in-process. */
export interface CommandResult<D = unknown> {
  exitCode: number;
  data?: D;
}

type _Value<D> = D extends { repeatable: true }
  ? string[]
  : D extends { type: "boolean" }
    ? boolean
    : D extends { type: "enum"; options: readonly (infer U)[] }
      ? U
      : D extends { type: "positional"; variadic: true }
        ? string[]
        : string;

/**
 * A command's arguments as the parser hands them over: a flag not given is undefined unless it
 * has a default; a repeatable flag (`repeatable: true`) and a variadic positional are lists.
 */
export type CommandArgs<T extends ArgsDef> = {
  [K in keyof T]: T[K] extends { repeatable: true } | { type: "positional"; variadic: true } | { default: string | boolean } ? _Value<T[K]> : _Value<T[K]> | undefined;
};

export interface RunInput<T extends ArgsDef> {
  args: CommandArgs<T>;
  ctx: Context;
  data: CommandData;
}

type _Runner = (values: ParsedArgs, data: CommandData) => Promise<CommandResult>;
const _runners = new WeakMap<CommandDef<any>, _Runner>();

/**
 * A command: citty's definition (the tree, the help, the completions) with a run that receives
 * typed arguments and the Context built from them. runCli parses strictly (src/argv.ts) and calls
 * it through commandRunner.
 */
export function defineBagtowerCommand<const T extends ArgsDef>(def: {
  meta: CommandMeta;
  args: T;
  subCommands?: SubCommandsDef;
  run?: (input: RunInput<T>) => CommandResult | Promise<CommandResult>;
}): CommandDef<T> {
  const { run, ...rest } = def;
  const cmd: CommandDef<T> = rest;
  if (run) {
    // parseCommandArgs made the values from this same args definition, globalArgs included.
    // The Context (the home's paths, the logger, node:fs) loads when a command runs: --version and
    // --help, answered before this, need none of it.
    _runners.set(cmd, async (values, data) => {
      const { createContext } = await import("../context.ts");
      return run({ args: values as CommandArgs<T>, ctx: createContext(values as GlobalFlags, data.overrides), data });
    });
  }
  return cmd;
}

/** The run of a command made by defineBagtowerCommand; undefined for a group (spool, cron). */
export function commandRunner(cmd: CommandDef<any>): _Runner | undefined {
  return _runners.get(cmd);
}
