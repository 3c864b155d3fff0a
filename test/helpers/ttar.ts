// Reads node_exporter's "ttar" plain-text archives (its collector/fixtures/sys.ttar): entries
// `Directory: p`, `Path: p` + `Lines: n` + n lines (a line ending in an unescaped `EOF` has no
// newline; `NULLBYTE` stands for \0), `SymlinkTo: target`, each followed by `Mode: octal`.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export type TtarEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; content: string; mode?: number }
  | { kind: "symlink"; path: string; target: string };

function _unescape(line: string): { text: string; newline: boolean } {
  const newline = !/(^|[^\\])EOF$/.test(line);
  const text = line
    .replace(/(^|[^\\])EOF$/, "$1")
    .replace(/(^|[^\\])NULLBYTE/g, "$1\0")
    .replace(/(^|[^\\])NULLBYTE/g, "$1\0")
    .replace(/\\NULLBYTE/g, "NULLBYTE")
    .replace(/\\EOF/g, "EOF");
  return { text, newline };
}

export function parseTtar(text: string): TtarEntry[] {
  const lines = text.split("\n");
  const out: TtarEntry[] = [];
  let path = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let m: RegExpExecArray | null;
    if ((m = /^Path: (.*)$/.exec(line))) path = m[1]!;
    else if ((m = /^Directory: (.*)$/.exec(line))) out.push({ kind: "dir", path: (path = m[1]!) });
    else if ((m = /^Lines: (\d+)$/.exec(line))) {
      let content = "";
      for (let n = Number(m[1]); n > 0; n--) {
        const { text: part, newline } = _unescape(lines[++i] ?? "");
        content += newline ? `${part}\n` : part;
      }
      out.push({ kind: "file", path, content });
    } else if ((m = /^SymlinkTo: (.*)$/.exec(line))) out.push({ kind: "symlink", path, target: m[1]! });
    else if ((m = /^Mode: ([0-7]+)$/.exec(line))) {
      const last = out.at(-1);
      if (last && last.kind !== "symlink" && last.path === path) last.mode = Number.parseInt(m[1]!, 8);
    }
  }
  return out;
}

/** Writes the entries under `dir`, the way `ttar -x` does. */
export function extractTtar(entries: TtarEntry[], dir: string): void {
  for (const e of entries) {
    const at = join(dir, e.path);
    mkdirSync(e.kind === "dir" ? at : dirname(at), { recursive: true });
    if (e.kind === "file") writeFileSync(at, e.content);
    else if (e.kind === "symlink") symlinkSync(e.target, at);
    if (e.kind !== "symlink" && e.mode !== undefined) chmodSync(at, e.mode);
  }
}

/** Entries back to ttar text, for a trimmed copy of an archive. */
export function formatTtar(entries: TtarEntry[], header: string): string {
  const sep = "# ttar - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\n";
  let out = `# ${header}\n`;
  for (const e of entries) {
    if (e.kind === "dir") out += `Directory: ${e.path}\n`;
    else if (e.kind === "symlink") out += `Path: ${e.path}\nSymlinkTo: ${e.target}\n`;
    else {
      const body = e.content.replace(/NULLBYTE/g, "\\NULLBYTE").replace(/EOF/g, "\\EOF").replace(/\0/g, "NULLBYTE");
      const parts = body.endsWith("\n") ? body.slice(0, -1).split("\n") : `${body}EOF`.split("\n");
      out += `Path: ${e.path}\nLines: ${body === "" ? 0 : parts.length}\n${body === "" ? "" : `${parts.join("\n")}\n`}`;
    }
    if (e.kind !== "symlink" && e.mode !== undefined) out += `Mode: ${e.mode.toString(8)}\n`;
    out += sep;
  }
  return out;
}
