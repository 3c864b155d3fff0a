import type { ArgsDef, CommandDef } from "citty";

/** One command of the tree as the completion scripts need it. */
export interface CompletionNode {
  /** Names from the root, e.g. ["spool", "flush"]; [] for the root. */
  path: string[];
  description: string;
  subcommands: { name: string; description: string }[];
  flags: { name: string; description: string; takesValue: boolean; values?: string[] }[];
  /** Positional arguments that take one of fixed values (completions' shell). */
  positional?: string[];
}

const _resolve = async <T>(value: unknown): Promise<T> => (typeof value === "function" ? await value() : await value) as T;

/** Walks the whole command tree (resolving the lazy subcommands) into plain data, root first. */
export async function completionTree(root: CommandDef<any>, extraRootFlags: ArgsDef = {}): Promise<CompletionNode[]> {
  const out: CompletionNode[] = [];
  async function visit(cmd: CommandDef<any>, path: string[]): Promise<void> {
    const meta = await _resolve<{ description?: string; hidden?: boolean }>(cmd.meta ?? {});
    const args = { ...(await _resolve<ArgsDef>(cmd.args ?? {})), ...(path.length === 0 ? extraRootFlags : {}) };
    const subs = await _resolve<Record<string, unknown> | undefined>(cmd.subCommands);
    const children: { name: string; cmd: CommandDef<any> }[] = [];
    for (const [name, sub] of Object.entries(subs ?? {})) children.push({ name, cmd: await _resolve<CommandDef<any>>(sub) });
    const node: CompletionNode = { path, description: meta.description ?? "", subcommands: [], flags: [] };
    for (const child of children) {
      const childMeta = await _resolve<{ description?: string; hidden?: boolean }>(child.cmd.meta ?? {});
      if (!childMeta.hidden) node.subcommands.push({ name: child.name, description: childMeta.description ?? "" });
    }
    for (const [name, def] of Object.entries(args)) {
      if (def.type === "positional") {
        if ("options" in def && Array.isArray((def as { options?: string[] }).options)) node.positional = (def as { options: string[] }).options;
        continue;
      }
      const flag = `--${name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()}`;
      const takesValue = def.type === "string" || def.type === "enum";
      node.flags.push({ name: flag, description: def.description ?? "", takesValue, ...(def.type === "enum" && def.options ? { values: [...def.options] } : {}) });
    }
    node.flags.push({ name: "--help", description: "Show help", takesValue: false });
    out.push(node);
    for (const child of children) await visit(child.cmd, [...path, child.name]);
  }
  await visit(root, []);
  return out;
}
