// bunfig.toml's test preload: once every test file has run, the prerequisites that were missing
// (test/helpers/prereq.ts) are printed in a box with the command that installs them, right above
// bun's own summary. In CI a missing prerequisite also fails the run here.
import { afterAll } from "bun:test";
import { inCI, missingPrereqs, prereqReport } from "./prereq.ts";

afterAll(() => {
  const missing = missingPrereqs();
  if (missing.length === 0) return;
  console.error(`\n${prereqReport(missing, inCI)}\n`);
  if (inCI) throw new Error(`prerequisites missing in CI: ${missing.map((m) => m.name).join(", ")}`);
});
