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

/**
 * `cpuSampleMs` → `cpu-sample-ms`: flags are written in kebab case whatever the arg's key. A loop,
 * not a regular expression: compiling one costs every run about a millisecond before any parsing.
 */
export function kebabFlag(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const prev = i > 0 ? name.charCodeAt(i - 1) : 0;
    const upper = c >= 65 && c <= 90;
    // A capital after a lower-case letter or a digit starts a new word.
    if (upper && ((prev >= 97 && prev <= 122) || (prev >= 48 && prev <= 57))) out += "-";
    out += upper ? String.fromCharCode(c + 32) : name[i];
  }
  return out;
}

interface _Flag {
  /** The key in the command's args definition. */
  key: string;
  name: string;
  kind: "string" | "enum" | "boolean";
  options?: readonly string[];
  negated?: boolean;
  /** Declared `repeatable: true`: every value is kept, in order (citty's own parser keeps the last). */
  repeatable?: boolean;
}

function _flagTable(args: ArgsDef) {
  const long = new Map<string, _Flag>();
  const short = new Map<string, _Flag>();
  const positionals: string[] = [];
  for (const [key, def] of Object.entries(args)) {
    if (def.type === "positional") {
      positionals.push(key);
      continue;
    }
    const kind = def.type === "enum" ? "enum" : def.type === "boolean" ? "boolean" : "string";
    const flag: _Flag = { key, name: kebabFlag(key), kind, options: "options" in def ? def.options : undefined, repeatable: _repeatable(def) };
    long.set(flag.name, flag);
    if (kind === "boolean") long.set(`no-${flag.name}`, { ...flag, negated: true });
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const a of aliases) (a.length === 1 ? short : long).set(a, flag);
  }
  const help: _Flag = { key: "help", name: "help", kind: "boolean" };
  long.set("help", help);
  short.set("h", help);
  return { long, short, positionals };
}

export type ParsedArgs = Record<string, string | boolean | string[] | undefined>;

/** A string flag marked `repeatable: true` (collect --set) gives a list of every value. */
function _repeatable(def: unknown): boolean {
  return (def as { repeatable?: unknown }).repeatable === true;
}

/** A positional marked `variadic: true` (the last one) takes every remaining argument, as a list. */
function _variadic(def: unknown): boolean {
  return (def as { variadic?: unknown }).variadic === true;
}

/**
 * `unknown option --onyl for 'bagtower collect'. Did you mean --only?`: a single-dash long name
 * (`-format`) is matched against the long flags too. A command that takes an argument is told how
 * to pass one that starts with a dash (`bagtower ping -- -Xa3…`), when no flag was meant.
 */
export function unknownOptionError(token: string, bare: string, longNames: readonly string[], commandName: string, takesArgument = false): UsageError {
  const suggestion = bare.length > 1 ? didYouMean(bare, longNames, "--") : "";
  const dashed = takesArgument && !suggestion && !token.startsWith("--") ? ` An argument that starts with '-' goes after '--': '${commandName} -- ${token}'.` : "";
  return new UsageError(`unknown option ${token} for '${commandName}'.${suggestion || dashed} See '${commandName} --help'.`);
}

/**
 * Parses a command's arguments strictly: an unknown flag, a missing value, an enum value out of
 * range or a stray argument is a UsageError (exit 2) with a suggestion. A typo in a crontab line
 * must fail loudly, not run with a default. A repeated flag keeps the last value, unless its
 * definition says `repeatable: true`: then it is the list of all of them.
 */
export function parseCommandArgs(commandName: string, args: ArgsDef, tokens: readonly string[]): { values: ParsedArgs; help: boolean } {
  const { long, short, positionals } = _flagTable(args);
  const values: ParsedArgs = {};
  for (const [key, def] of Object.entries(args)) {
    if (def.default !== undefined) values[key] = def.default as string | boolean;
    if (_repeatable(def)) values[key] = [];
  }
  const stray: string[] = [];
  const hint = `See '${commandName} --help'.`;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--") {
      stray.push(...tokens.slice(i + 1));
      break;
    }
    let flag: _Flag | undefined;
    let inline: string | undefined;
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      const name = token.slice(2, eq < 0 ? undefined : eq);
      inline = eq < 0 ? undefined : token.slice(eq + 1);
      flag = long.get(name) ?? long.get(kebabFlag(name));
      if (!flag) throw unknownOptionError(`--${name}`, name, [...long.keys()], commandName);
    } else if (token.startsWith("-") && token.length > 1 && !/^-\d/.test(token)) {
      flag = short.get(token.slice(1));
      if (!flag) throw unknownOptionError(token, token.slice(1), [...long.keys()], commandName, positionals.length > 0);
    } else {
      stray.push(token);
      continue;
    }
    if (flag.kind === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false") throw new UsageError(`option --${flag.name} takes no value (got '${token}'). ${hint}`);
      values[flag.key] = flag.negated ? false : inline !== "false";
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`option --${flag.name} needs a value. ${hint}`);
      value = next;
      i++;
    }
    if (flag.kind === "enum" && flag.options && !flag.options.includes(value)) {
      throw new UsageError(`--${flag.name} ${value}: expected one of ${flag.options.join(", ")}.${didYouMean(value, flag.options, "")}`);
    }
    if (flag.repeatable) (values[flag.key] as string[]).push(value);
    else values[flag.key] = value;
  }
  const last = positionals.at(-1);
  const variadic = last !== undefined && _variadic(args[last]);
  if (!variadic && stray.length > positionals.length) throw new UsageError(`unexpected argument '${stray[positionals.length]}' for '${commandName}'. ${hint}`);
  positionals.forEach((key, index) => {
    if (variadic && key === last) values[key] = stray.slice(index);
    else if (stray[index] !== undefined) values[key] = stray[index];
  });
  for (const [key, def] of Object.entries(args)) {
    if (def.required && values[key] === undefined && !values.help) throw new UsageError(`'${commandName}' needs ${def.type === "positional" ? `<${key}>` : `--${kebabFlag(key)}`}. ${hint}`);
  }
  const help = values.help === true;
  delete values.help;
  return { values, help };
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
  let lastValued: { flag: string; value: string; at: number } | undefined; // the last flag that took the next word as its value
  let unknownFlag: { token: string; bare: string; long: string[]; where: string } | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const subCommands = await resolve<Record<string, unknown> | undefined>(current.subCommands);
    if (token === "--" || !subCommands) {
      rest.push(...argv.slice(i));
      break;
    }
    if (token.startsWith("-")) {
      rest.push(token);
      // A flag's value is not a command name: `--home /x collect`, `serve --port 0`. The global
      // flags are every command's, a group's too (`spool --home /x list`).
      const args: ArgsDef = { ...globalArgs, ...(await resolve<ArgsDef>(current.args ?? {})) };
      const { long, short } = _flagTable(args);
      const bare = token.replace(/^--?/, "").split("=")[0]!;
      const known = token.startsWith("--") ? long.has(bare) || long.has(kebabFlag(bare)) : short.has(bare);
      // Kept for later: a subcommand's own flag may come before its name (`serve --rotate key`).
      if (!known) unknownFlag ??= { token, bare, long: [...long.keys()], where: path.map((p) => p.name).join(" ") };
      const def = args[token.slice(2)] ?? Object.entries(args).find(([key]) => `--${kebabFlag(key)}` === token)?.[1];
      if (!token.includes("=") && def && (def.type === "string" || def.type === "enum") && argv[i + 1] !== undefined) {
        rest.push(argv[++i]!);
        lastValued = { flag: token, value: argv[i]!, at: i };
      }
      continue;
    }
    const next = subCommands[token];
    // `serve --chanel x`: the typo is the flag, and `x` its value, not a command.
    if (!next && unknownFlag) throw unknownOptionError(unknownFlag.token, unknownFlag.bare, unknownFlag.long, unknownFlag.where);
    if (!next) {
      const where = path.map((p) => p.name).join(" ");
      const suggestion = didYouMean(token, Object.keys(subCommands), "");
      // `serve --forward influx http://…`: the word after a flag's value is not a second value.
      const oneValue = !suggestion && lastValued?.at === i - 1 ? ` (${lastValued.flag} takes one value, here '${lastValued.value}')` : "";
      throw new UsageError(`unknown command '${token}' for '${where}'${oneValue}.${suggestion} See '${where} --help'.`);
    }
    current = await resolve<CommandDef>(next);
    path.push({ name: token, cmd: current });
  }
  return { path, rest };
}
