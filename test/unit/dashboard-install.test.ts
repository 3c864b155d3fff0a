// The dashboard's pure install modules: the command's quoting, and agent versions against the receiver's.
import { describe, expect, test } from "bun:test";
import { bagtowerVersion, compareVersions, isOlderAgent } from "../../src/serve/dashboard/agent-version.js";
import { installCommand, shellWord, type InstallInfo } from "../../src/serve/dashboard/install-command.js";

const info: InstallInfo = { version: "0.2.0", serverUrl: "http://192.0.2.2:8787", installUrl: "http://192.0.2.2:8787/install.sh?token=abc_-1", ingestKey: "key-0123456789abcdef", tokenNeeded: true, tokenIncluded: true, downloads: ["bagtower-linux-x64"] };

describe("installCommand", () => {
  test("the URL in quotes (its ? is a glob character), the key, the device id when one is given", () => {
    expect(installCommand(info)).toBe("curl -fsSL 'http://192.0.2.2:8787/install.sh?token=abc_-1' | sh -s -- --api-key key-0123456789abcdef");
    expect(installCommand(info, " pi-kitchen ")).toBe("curl -fsSL 'http://192.0.2.2:8787/install.sh?token=abc_-1' | sh -s -- --api-key key-0123456789abcdef --device-id pi-kitchen");
  });

  test("without the ingest key: the KEY placeholder", () => {
    expect(installCommand({ ...info, ingestKey: null })).toEndWith("--api-key KEY");
  });

  test.each([
    ["pi-kitchen", "pi-kitchen"],
    ["my pi", "'my pi'"],
    ["a'b", "'a'\\''b'"],
    ["$(reboot)", "'$(reboot)'"],
    ["`id`;x", "'`id`;x'"],
    ["*", "'*'"],
  ])("shellWord(%p) is %p", (text, word) => {
    expect(shellWord(text)).toBe(word);
    // sh reads the word back as the text.
    expect(Bun.spawnSync(["sh", "-c", `printf %s ${word}`], { stdout: "pipe" }).stdout.toString()).toBe(text);
  });
});

describe("agent versions", () => {
  test.each([
    ["bagtower/0.1.0", "0.1.0"],
    ["bagtower/1.2.3-rc.1", "1.2.3-rc.1"],
    ["datadog", undefined],
    ["bagtower/", undefined],
    [null, undefined],
  ])("bagtowerVersion(%p) is %p", (agent, version) => {
    expect(bagtowerVersion(agent)).toBe(version);
  });

  test.each([
    ["0.1.0", "0.2.0", -1],
    ["0.10.0", "0.9.1", 1],
    ["1.0.0", "1.0.0", 0],
    ["1.0.0-rc.1", "1.0.0", -1],
    ["1.0.0", "1.0.0-rc.1", 1],
    ["2.0.0", "10.0.0", -1],
  ] as const)("compareVersions(%p, %p) is %p", (a, b, order) => {
    expect(compareVersions(a, b)).toBe(order);
  });

  test("only a bagtower agent older than the receiver is older", () => {
    expect(isOlderAgent("bagtower/0.1.0", "0.2.0")).toBe(true);
    expect(isOlderAgent("bagtower/0.2.0", "0.2.0")).toBe(false);
    expect(isOlderAgent("bagtower/0.3.0", "0.2.0")).toBe(false);
    expect(isOlderAgent("influx", "0.2.0")).toBe(false);
    expect(isOlderAgent(null, "0.2.0")).toBe(false);
  });
});
