import { describe, expect, test } from "bun:test";
import { machine } from "node:os";
import { createContext, defaultHome, unameMachine } from "../../src/context.ts";

describe("createContext without node:os", () => {
  test("machineArch is uname -m, derived from the process's architecture", () => {
    expect(unameMachine("x64")).toBe("x86_64");
    expect(unameMachine("arm64")).toBe("aarch64");
    expect(unameMachine("riscv64")).toBe("riscv64");
    expect(createContext({ home: "/tmp/h" }).machineArch).toBe(machine());
  });
  test("the home: BAGTOWER_HOME, else $HOME/.bagtower, else the passwd home", () => {
    expect(defaultHome({ BAGTOWER_HOME: "/b", HOME: "/h" })).toBe("/b");
    expect(defaultHome({ HOME: "/h" })).toBe("/h/.bagtower");
    expect(defaultHome({})).toEndWith("/.bagtower");
  });
  test("statfs answers off the main thread for a filesystem that may hang", async () => {
    const ctx = createContext({ home: "/tmp/h" });
    const [slow, fast] = await Promise.all([ctx.statfs("/", true), ctx.statfs("/", false)]);
    expect(slow.bsize).toBe(fast.bsize);
    expect(slow.blocks).toBe(fast.blocks);
    await expect(ctx.statfs("/no/such/dir", true)).rejects.toThrow();
  });
});
