#!/usr/bin/env bun
// `npm run torture`: the reliability suite with full counts (BAGTOWER_TORTURE=full), then a table of
// what it tried and what survived, from the `torture | …` lines the tests print.
const files = ["test/e2e/torture.test.ts", "test/e2e/hostile.test.ts", "test/e2e/crash.test.ts"];
const proc = Bun.spawn([process.execPath, "test", ...files], {
  env: { ...process.env, BAGTOWER_TORTURE: "full", BAGTOWER_CRASH_KILLS: "200" },
  stdout: "pipe",
  stderr: "pipe",
});
const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
const text = `${out}\n${err}`;
const rows = text
  .split("\n")
  .filter((l) => l.startsWith("torture | "))
  .map((l) => l.split(" | ").slice(1));
const results = text.split("\n").filter((l) => /^\((pass|fail)\)/.test(l));
console.log("| trial | what was tried and what survived |\n| --- | --- |");
for (const [name, facts] of rows) console.log(`| ${name} | ${facts} |`);
console.log("");
for (const line of results) console.log(line);
console.log(text.split("\n").filter((l) => /^\s*\d+ (pass|fail)$/.test(l)).join("\n"));
process.exit(code);
