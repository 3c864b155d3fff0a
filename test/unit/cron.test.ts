import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cronLine, findOurLine, formatPeriod, offsetFrom, scheduleFor, shellQuote, withOurLine } from "../../src/cron/line.ts";
import { rotateLog } from "../../src/log-file.ts";
import { tempDir } from "../helpers/context.ts";

const ID = "a9dfea6f08cc93b4e4eead1b89761147";

describe("scheduleFor", () => {
  const at = offsetFrom(ID, 60);
  test.each([
    [60, "* * * * *", false],
    [300, `${offsetFrom(ID, 5)}-59/5 * * * *`, false],
    [600, `${offsetFrom(ID, 10)}-59/10 * * * *`, false],
    [1800, `${offsetFrom(ID, 30)}-59/30 * * * *`, false],
    [3600, `${at} * * * *`, false],
    [6 * 3600, `${at} */6 * * *`, false],
    [24 * 3600, `${at} */24 * * *`, false],
    [7 * 60, "* * * * *", true],
    [90, "* * * * *", true],
    [5 * 3600, "* * * * *", true],
    [48 * 3600, "* * * * *", true],
  ])("%i s → %s", (period, fields, everyMinute) => expect(scheduleFor(period, ID)).toEqual({ fields, everyMinute }));
  test("the offset comes from the machine id: machines spread, one machine is stable", () => {
    const offsets = new Set(Array.from({ length: 50 }, (_, i) => offsetFrom(`${ID}${i}`, 10)));
    expect(offsets.size).toBeGreaterThan(5);
    expect(offsetFrom(ID, 10)).toBe(offsetFrom(ID, 10));
  });
});

describe("the line", () => {
  test("absolute binary and home quoted, output to the bounded log, marked", () => {
    const line = cronLine({ fields: "3-59/10 * * * *", everyMinute: false }, "/home/a b/.bagtower/bin/bagtower", "/home/a b/.bagtower", "/home/a b/.bagtower/log/bagtower.log");
    expect(line).toBe("3-59/10 * * * * '/home/a b/.bagtower/bin/bagtower' push --cron --home '/home/a b/.bagtower' >> '/home/a b/.bagtower/log/bagtower.log' 2>&1 # bagtower");
  });
  test("shell quoting survives quotes", () => expect(shellQuote("it's")).toBe(`'it'\\''s'`));
  test.each([
    [600, "10m"],
    [7200, "2h"],
    [90, "90s"],
  ])("formatPeriod(%i) = %s", (s, text) => expect(formatPeriod(s)).toBe(text));
});

describe("withOurLine: the user's other lines survive byte for byte", () => {
  const user = "# m h dom mon dow command\nMAILTO=me@example.com\n\n*/5 * * * * /usr/bin/backup  --fast   # nightly-ish\n@reboot /opt/start.sh\r\n";
  test("append to a crontab without our line", () => {
    expect(withOurLine(user, "L # bagtower")).toBe(`${user}L # bagtower\n`);
  });
  test("replace in place, drop duplicates", () => {
    const before = `A\nold1 # bagtower\nB\nold2 # bagtower\n`;
    expect(withOurLine(before, "new # bagtower")).toBe("A\nnew # bagtower\nB\n");
  });
  test("remove only ours", () => expect(withOurLine(`${user}x # bagtower\n`, undefined)).toBe(user));
  test("empty crontab", () => {
    expect(withOurLine("", "L # bagtower")).toBe("L # bagtower\n");
    expect(withOurLine("L # bagtower\n", undefined)).toBe("");
  });
  test("a line that merely mentions bagtower is not ours", () => {
    expect(findOurLine("* * * * * echo '# bagtower is great' > /tmp/x\n")).toBeUndefined();
  });
});

describe("rotateLog", () => {
  test("rotates past the size, keeps three files", () => {
    const { dir, cleanup } = tempDir();
    try {
      const log = join(dir, "bagtower.log");
      for (let i = 1; i <= 4; i++) {
        writeFileSync(log, `generation ${i}\n`.padEnd(200, "x"));
        expect(rotateLog(log, 100)).toBe(true);
      }
      expect(rotateLog(log, 100)).toBe(false); // nothing to rotate now
      expect(readFileSync(`${log}.1`, "utf8")).toStartWith("generation 4");
      expect(readFileSync(`${log}.2`, "utf8")).toStartWith("generation 3");
      expect(existsSync(`${log}.3`)).toBe(false);
      writeFileSync(log, "small\n");
      expect(rotateLog(log, 100)).toBe(false);
    } finally {
      cleanup();
    }
  });
});
