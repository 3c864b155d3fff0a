// The command line serve executes again (src/runtime-options.ts): a compiled executable's argv[1] is
// its embedded entry, not an argument; from source the script and Bun's own flags come along.
import { expect, test } from "bun:test";
import { ownCommandLine, reexecWithServeOptions } from "../../src/runtime-options.ts";

test("compiled: the executable and the arguments after its embedded entry", () => {
  expect(ownCommandLine(["bun", "/$bunfs/root/bagtower-linux-x64", "serve", "--port", "0"], [], "/$bunfs/root/bagtower-linux-x64", "/usr/local/bin/bagtower")).toEqual(["/usr/local/bin/bagtower", "serve", "--port", "0"]);
});

test("from source: bun, its flags, the script and the arguments", () => {
  expect(ownCommandLine(["/usr/bin/bun", "/src/cli.ts", "serve"], ["--smol"], "/src/cli.ts", "/usr/bin/bun")).toEqual(["/usr/bin/bun", "--smol", "/src/cli.ts", "serve"]);
});

test("with every option already in the environment, nothing is executed and it returns", () => {
  expect(reexecWithServeOptions({ BUN_JSC_useWarmUpMarkedBlocks: "0" })).toBeUndefined();
});
