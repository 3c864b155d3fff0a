import type { ArgsDef, CommandDef } from "citty";
import { UsageError } from "./errors.ts";
import { didYouMean } from "./suggest.ts";

/** Flags every command accepts (SPEC §1). --help and --version are handled by the dispatcher. */
export const globalArgs = {
  home: { type: "string", valueHint: "DIR", description: "State directory (default $BAGTOWER_HOME or ~/.bagtower)" },
  config: { type: "string", valueHint: "FILE", description: "Config file (default HOME/config.json)" },
  verbose: { type: "boolean", description: "Debug logs, and the cause of an error, on stderr" },
  quiet: { type: "boolean", description: "Only errors on stderr" },
} as const satisfies ArgsDef;

/** The repeatable flags: citty keeps only the last value, so their values are read from argv. */
export function allValues(rawArgs: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") break;
    if (token === `--${name}`) {
      const next = rawArgs[i + 1];
      if (next !== undefined) values.push(next);
      i++;
    } else if (token.startsWith(`--${name}=`)) {
      values.push(token.slice(name.length + 3));
    }
  }
  return values;
}

/** `cpuSampleMs` → `cpu-sample-ms`: flags are written in kebab case whatever the arg's key. */
function _kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

interface _Flag {
  name: string;
  takesValue: boolean;
}

function _flagTable(args: ArgsDef): { long: Map<string, _Flag>; short: Map<string, _Flag>; positionals: number } {
  const long = new Map<string, _Flag>();
  const short = new Map<string, _Flag>();
  let positionals = 0;
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") {
      positionals++;
      continue;
    }
    const flag = { name: _kebab(name), takesValue: def.type === "string" || def.type === "enum" };
    long.set(flag.name, flag);
    if (def.type === "boolean") long.set(`no-${flag.name}`, { ...flag, takesValue: false });
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const alias of aliases) (alias.length === 1 ? short : long).set(alias, flag);
  }
  long.set("help", { name: "help", takesValue: false });
  short.set("h", { name: "help", takesValue: false });
  return { long, short, positionals };
}

/**
 * Checks a command's arguments strictly before citty (which ignores what it does not know) sees
 * them: a typo in a crontab line must fail loudly, not run with a default.
 */
export function checkArgs(commandName: string, args: ArgsDef, tokens: readonly string[]): { help: boolean } {
  const { long, short, positionals } = _flagTable(args);
  let help = false;
  let seenPositionals = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--") {
      seenPositionals += tokens.length - i - 1;
      break;
    }
    let flag: _Flag | undefined;
    let inlineValue = false;
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      const name = token.slice(2, eq < 0 ? undefined : eq);
      inlineValue = eq >= 0;
      flag = long.get(name) ?? long.get(_kebab(name));
      if (!flag) throw new UsageError(`unknown option --${name} for '${commandName}'.${didYouMean(name, [...long.keys()], "--")} See '${commandName} --help'.`);
    } else if (token.startsWith("-") && token.length > 1 && !/^-\d/.test(token)) {
      flag = short.get(token.slice(1));
      if (!flag) throw new UsageError(`unknown option ${token} for '${commandName}'. See '${commandName} --help'.`);
    } else {
      seenPositionals++;
      if (seenPositionals > positionals) {
        throw new UsageError(`unexpected argument '${token}' for '${commandName}'. See '${commandName} --help'.`);
      }
      continue;
    }
    if (flag.name === "help") help = true;
    if (flag.takesValue && !inlineValue) {
      const next = tokens[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`option --${flag.name} needs a value. See '${commandName} --help'.`);
      i++;
    } else if (!flag.takesValue && inlineValue && !/=(true|false)$/.test(token)) {
      throw new UsageError(`option --${flag.name} takes no value (got '${token}').`);
    }
  }
  return { help };
}

/** Finds the command a user named: `bagtower spool flush --max 5` → [root, spool, flush] and the rest. */
export async function resolveCommandPath(
  root: CommandDef<any>,
  argv: readonly string[],
): Promise<{ path: { name: string; cmd: CommandDef }[]; rest: string[] }> {
  const resolve = async <T>(value: unknown): Promise<T> => (typeof value === "function" ? await value() : await value) as T;
  const rootMeta = await resolve<{ name?: string }>(root.meta ?? {});
  const path: { name: string; cmd: CommandDef }[] = [{ name: rootMeta.name ?? "bagtower", cmd: root as CommandDef }];
  const rest: string[] = [];
  let current = root;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const subCommands = await resolve<Record<string, unknown> | undefined>(current.subCommands);
    if (token === "--" || !subCommands) {
      rest.push(...argv.slice(i));
      break;
    }
    if (token.startsWith("-")) {
      rest.push(token);
      // A global flag's value is not a command name: `--home /x collect`.
      const name = token.slice(2);
      if (!token.includes("=") && (name === "home" || name === "config") && argv[i + 1] !== undefined) rest.push(argv[++i]!);
      continue;
    }
    const next = subCommands[token];
    if (!next) {
      const where = path.map((p) => p.name).join(" ");
      throw new UsageError(`unknown command '${token}' for '${where}'.${didYouMean(token, Object.keys(subCommands), "")} See '${where} --help'.`);
    }
    current = await resolve<CommandDef>(next);
    path.push({ name: token, cmd: current });
  }
  return { path, rest };
}
