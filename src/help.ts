import type { ArgDef, ArgsDef, CommandDef } from "citty";
import { kebabFlag } from "./argv.ts";

/** The width every help text fits in: a terminal split in two, an email, a man-page pager. */
export const HELP_WIDTH = 100;

/** The widest option column before an option's description moves to the next line. */
const _MAX_LABEL = 30;

const _resolve = async <T>(value: unknown): Promise<T> => (typeof value === "function" ? await value() : await value) as T;

/** Words of `text` filled into lines of at most `width` characters; a longer word is cut. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (line) lines.push(line);
      lines.push(word.slice(0, width));
      word = word.slice(width);
      line = "";
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [""];
}

/** Two columns, labels left-aligned; a label too wide for the column gets its text on the next line. */
function _table(rows: [string, string][]): string[] {
  const indent = 2;
  const column = Math.min(_MAX_LABEL, Math.max(0, ...rows.map(([label]) => label.length))) + indent + 2;
  const out: string[] = [];
  for (const [label, text] of rows) {
    const lines = wrapText(text, HELP_WIDTH - column);
    const head = " ".repeat(indent) + label;
    if (head.length + 2 > column) out.push(head);
    else out.push((head.padEnd(column) + lines.shift()!).trimEnd());
    for (const line of lines) out.push((" ".repeat(column) + line).trimEnd());
  }
  return out;
}

function _optionRow(key: string, def: ArgDef): [string, string] {
  const name = `--${kebabFlag(key)}`;
  const hint = "valueHint" in def && def.valueHint ? def.valueHint : def.type === "boolean" ? "" : key.toUpperCase();
  let text = def.description ?? "";
  if (def.type === "enum" && def.options?.length) {
    const values = def.options.join(", ");
    // The description names the values itself when it lists them all (collect --format).
    if (!def.options.every((o) => text.includes(o))) {
      const fallback = /\s*\((default [^)]*)\)$/.exec(text);
      const base = fallback ? text.slice(0, fallback.index) : text;
      text = `${base}${base ? ": " : ""}one of ${values}${fallback ? ` (${fallback[1]})` : ""}`;
    }
  }
  return [hint ? `${name} ${hint}` : name, text];
}

/**
 * A command's --help: what it does, `bagtower …` usage lines with the full path, its arguments,
 * options and subcommands, every line at most HELP_WIDTH columns and without trailing spaces.
 * `path` is the command names from the root, e.g. ["bagtower", "spool", "flush"].
 */
export async function renderHelp(cmd: CommandDef<any>, path: readonly string[], runnable: boolean): Promise<string> {
  const meta = await _resolve<{ description?: string; version?: string }>(cmd.meta ?? {});
  const args = await _resolve<ArgsDef>(cmd.args ?? {});
  const subs = await _resolve<Record<string, unknown> | undefined>(cmd.subCommands);
  const full = path.join(" ");
  const out: string[] = [];
  const title = path.length === 1 && meta.version ? `${full} ${meta.version}: ${meta.description ?? ""}` : (meta.description ?? "");
  out.push(...wrapText(title, HELP_WIDTH), "");

  const positionals = Object.entries(args).filter(([, def]) => def.type === "positional");
  const options = Object.entries(args).filter(([, def]) => def.type !== "positional");
  const positionalText = positionals
    .map(([key, def]) => {
      const name = `<${"valueHint" in def && def.valueHint ? def.valueHint : key}>${(def as { variadic?: boolean }).variadic ? "..." : ""}`;
      return def.required ? name : `[${name}]`;
    })
    .join(" ");
  const usage: string[] = [];
  const optionsText = options.length ? " [options]" : "";
  if (runnable || !subs) usage.push(`${full}${optionsText}${positionalText ? ` ${positionalText}` : ""}`);
  if (subs) usage.push(`${full} <command> [options]`);
  out.push("USAGE");
  for (const line of usage) out.push(...wrapText(line, HELP_WIDTH - 2).map((l) => `  ${l}`));

  if (positionals.length) {
    out.push("", "ARGUMENTS");
    out.push(..._table(positionals.map(([key, def]) => [`<${"valueHint" in def && def.valueHint ? def.valueHint : key}>`, def.description ?? ""])));
  }
  if (options.length) {
    out.push("", "OPTIONS");
    out.push(..._table([...options.map(([key, def]) => _optionRow(key, def)), ["--help", "Show this help"]]));
  }
  if (subs) {
    const rows: [string, string][] = [];
    for (const [name, sub] of Object.entries(subs)) {
      const subMeta = await _resolve<{ description?: string; hidden?: boolean }>((await _resolve<CommandDef<any>>(sub)).meta ?? {});
      if (!subMeta.hidden) rows.push([name, subMeta.description ?? ""]);
    }
    out.push("", "COMMANDS", ..._table(rows));
    const example = path.length === 1 ? "bagtower help <command>" : `bagtower help ${path.slice(1).join(" ")} <command>`;
    out.push("", ...wrapText(`Run '${full} <command> --help' (or '${example}') for a command's options.`, HELP_WIDTH));
  }
  return `${out.join("\n")}\n`;
}
