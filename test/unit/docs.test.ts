// The README and docs/ as a reader uses them: a JSON example can be copied and parsed (a config
// example is a config bagtower accepts), and every relative link leads to a file and a heading.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as v from "valibot";
import { resolveConfig } from "../../src/config/load.ts";
import { configSchema } from "../../src/config/schema.ts";
import { REPO } from "../helpers/binary.ts";

const PAGES = ["README.md", ...readdirSync(join(REPO, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const text = (page: string) => readFileSync(join(REPO, page), "utf8");

interface Block {
  page: string;
  line: number;
  lang: string;
  body: string;
}

/** The fenced code blocks of a page, with their info string and first line. */
function blocks(page: string): Block[] {
  const found: Block[] = [];
  const lines = text(page).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+)\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(open[2]!); j++) body.push(lines[j]!.slice(indent));
    found.push({ page, line: i + 1, lang: open[3]!, body: body.join("\n") });
    i = j;
  }
  return found;
}

/** The page's text outside code blocks and inline code, where a markdown link is a link. */
function prose(page: string): string {
  return text(page)
    .replace(/^(\s*)(```+)[^\n]*\n[\s\S]*?^\s*\2\s*$/gm, "")
    .replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(page: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const withoutCode = text(page).replace(/^(\s*)(```+)[^\n]*\n[\s\S]*?^\s*\2\s*$/gm, "");
  for (const match of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const match of withoutCode.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) result.add(match[1]!);
  return result;
}

const JSON_BLOCKS = PAGES.flatMap(blocks).filter((b) => b.lang === "json");
const CONFIG_FIELDS = new Set(Object.keys(configSchema.entries));
/** An object whose every top-level field is one of config.json's: an example of it. */
const isConfigExample = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => CONFIG_FIELDS.has(k));

describe("the JSON in README.md and docs/", () => {
  test("there are JSON examples, and config examples among them", () => {
    expect(JSON_BLOCKS.length).toBeGreaterThan(5);
    expect(JSON_BLOCKS.filter((b) => isConfigExample(JSON.parse(b.body))).map((b) => b.page)).toContain("docs/CONFIGURATION.md");
  });

  test.each(JSON_BLOCKS.map((b) => [`${b.page}:${b.line}`, b] as const))("%s parses as JSON", (_where, block) => {
    expect(() => JSON.parse(block.body)).not.toThrow();
  });

  test.each(JSON_BLOCKS.filter((b) => isConfigExample(JSON.parse(b.body))).map((b) => [`${b.page}:${b.line}`, b] as const))(
    "%s is a config.json bagtower accepts",
    (where, block) => {
      expect(() => resolveConfig(JSON.parse(block.body), where, [])).not.toThrow();
    },
  );

  test("no example is JSON with comments: what a reader copies into config.json must parse", () => {
    const commented = PAGES.flatMap(blocks)
      .filter((b) => b.lang === "jsonc" || b.lang === "json5")
      .map((b) => `${b.page}:${b.line}`);
    expect(commented).toEqual([]);
  });

  test("the config schema is a strict object, so the field check above means something", () => {
    expect(v.safeParse(configSchema, { deviceid: "x" }).success).toBe(false);
  });
});

describe("the links in README.md and docs/", () => {
  const links = PAGES.flatMap((page) =>
    [...prose(page).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .map((target) => ({ page, target })),
  );

  test("there are relative links to check", () => {
    expect(links.length).toBeGreaterThan(30);
  });

  test("every relative link leads to a file of the checkout, and an anchor to a heading of it", () => {
    const broken: string[] = [];
    for (const { page, target } of links) {
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const file = path === "" ? join(REPO, page) : resolve(dirname(join(REPO, page)), decodeURIComponent(path));
      if (!file.startsWith(`${REPO}/`) || !existsSync(file)) {
        broken.push(`${page}: ${target} (no file ${relative(REPO, file)})`);
        continue;
      }
      if (anchor === undefined || !file.endsWith(".md") || statSync(file).isDirectory()) continue;
      if (!anchors(relative(REPO, file)).has(anchor)) broken.push(`${page}: ${target} (no heading #${anchor} in ${relative(REPO, file)})`);
    }
    expect(broken).toEqual([]);
  });

  test("the README stays short: a newcomer's page, the reference in docs/", () => {
    expect(text("README.md").split("\n").length).toBeLessThan(150);
  });
});
