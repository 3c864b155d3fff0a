import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batteryLevel, batteryStatus, type PowerSupply } from "../../src/collect/items/battery.ts";
import { parseBtime } from "../../src/collect/items/boot.ts";
import { parseProcStatCpus } from "../../src/collect/items/cpu.ts";
import { diskPercent } from "../../src/collect/items/disk.ts";
import { parseMounts, realMounts } from "../../src/collect/items/filesystems.ts";
import { parseLoadavg } from "../../src/collect/items/load-average.ts";
import { memoryFigures, parseMeminfo } from "../../src/collect/items/memory.ts";
import { networkTotals, parseNetDev } from "../../src/collect/items/network.ts";
import { processIds } from "../../src/collect/pids.ts";
import { createProbe } from "../../src/collect/probe.ts";
import { parseTcpStates, socketsInfo } from "../../src/collect/items/sockets.ts";
import { parseOsRelease } from "../../src/collect/items/system.ts";
import { milliCelsius } from "../../src/collect/items/thermal.ts";
import { parseUptime } from "../../src/collect/items/uptime.ts";
import { parseWireless } from "../../src/collect/items/wifi.ts";

describe("parseProcStatCpus", () => {
  const cases: [string, string, Record<string, number[]>][] = [
    [
      "normal",
      "cpu  10 1 5 100 4 1 2 0 7 0\ncpu0 5 0 2 50 2 0 1 0 3 0\ncpu1 5 1 3 50 2 1 1 0 4 0\nintr 1 2\nbtime 1700000000\n",
      { cpu: [10, 1, 5, 100, 4, 1, 2, 0], cpu0: [5, 0, 2, 50, 2, 0, 1, 0], cpu1: [5, 1, 3, 50, 2, 1, 1, 0] },
    ],
    ["empty", "", {}],
    ["old kernel, four columns", "cpu 1 2 3 4\n", { cpu: [1, 2, 3, 4, 0, 0, 0, 0] }],
    ["truncated line is skipped", "cpu 1 2 3 4 5 6 7 8 0 0\ncpu0 1 2\n", { cpu: [1, 2, 3, 4, 5, 6, 7, 8] }],
    ["extra future columns are ignored", "cpu 1 2 3 4 5 6 7 8 9 10 11 12\n", { cpu: [1, 2, 3, 4, 5, 6, 7, 8] }],
    ["malformed values and names are skipped", "cpu x 2 3 4\ncpufoo 1 2 3 4\ncpu3 1 2 3 4 5\n", { cpu3: [1, 2, 3, 4, 5, 0, 0, 0] }],
  ];
  test.each(cases)("%s", (_, text, expected) => expect(parseProcStatCpus(text)).toEqual(expected));
});

describe("parseBtime", () => {
  test("normal", () => expect(parseBtime("cpu 1 2 3 4\nbtime 1795000000\nprocesses 3\n")).toBe(1795000000));
  test("empty", () => expect(() => parseBtime("")).toThrow("no btime"));
  test("truncated", () => expect(() => parseBtime("btime ")).toThrow("no btime"));
  test("malformed", () => expect(() => parseBtime("btime 12x\n")).toThrow("no btime"));
});

describe("parseMeminfo and memoryFigures", () => {
  const modern = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    600 kB\nBuffers:          50 kB\nCached:          200 kB\nHugePages_Total:       0\n";
  test("normal: MemAvailable", () => {
    const info = parseMeminfo(modern);
    expect(info.MemTotal).toBe(1000 * 1024);
    expect(info.HugePages_Total).toBe(0);
    expect(memoryFigures(info)).toEqual({ total: 1024000, available: 614400, used: 409600, free: 102400 });
  });
  test("old kernel: MemFree + Buffers + Cached", () => {
    const info = parseMeminfo(modern.replace(/MemAvailable.*\n/, ""));
    expect(memoryFigures(info).available).toBe((100 + 50 + 200) * 1024);
  });
  test("empty", () => expect(() => memoryFigures(parseMeminfo(""))).toThrow("no MemTotal"));
  test("truncated: MemTotal only", () => expect(memoryFigures(parseMeminfo("MemTotal: 10 kB\n"))).toEqual({ total: 10240, available: 0, used: 10240, free: 0 }));
  test("extra fields and malformed lines are skipped", () => {
    const info = parseMeminfo("MemTotal: 10 kB extra\nMemFree: lots kB\nCached: 5 kB\n: 3 kB\n");
    expect(info).toEqual({ Cached: 5120 });
  });
  test("available never exceeds total", () => {
    expect(memoryFigures(parseMeminfo("MemTotal: 10 kB\nMemAvailable: 20 kB\n")).used).toBe(0);
  });
});

describe("parseTcpStates and socketsInfo", () => {
  const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  const line = (st: string) => `   0: 0100007F:0CEA 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000   118        0 27367 1 0000000000000000 100 0 0 10 0\n`;
  test("normal", () => {
    const counts = parseTcpStates(header + line("0A") + line("01") + line("01") + line("06") + line("08") + line("07") + line("0b"));
    expect(counts).toEqual({ "0A": 1, "01": 2, "06": 1, "08": 1, "07": 1, "0B": 1 });
    expect(socketsInfo(counts)).toEqual({ nb_established: 2, nb_sockets_closing: 3, nb_sockets_close: 1, nb_sockets_listen: 1 });
  });
  test("empty", () => expect(socketsInfo(parseTcpStates(""))).toEqual({ nb_established: 0, nb_sockets_closing: 0, nb_sockets_close: 0, nb_sockets_listen: 0 }));
  test("header only", () => expect(parseTcpStates(header)).toEqual({}));
  test("truncated and malformed lines are skipped", () => expect(parseTcpStates(`${header}   0: 0100007F:0CEA\n   1: a b ZZ c\n${line("01")}`)).toEqual({ "01": 1 }));
});

describe("parseLoadavg", () => {
  test("normal", () => expect(parseLoadavg("0.52 0.58 0.59 1/467 12345\n")).toEqual({ "1m": 0.52, "5m": 0.58, "15m": 0.59 }));
  test("extra fields", () => expect(parseLoadavg("1 2 3 4/5 6 7 8")).toEqual({ "1m": 1, "5m": 2, "15m": 3 }));
  test("empty", () => expect(() => parseLoadavg("")).toThrow("/proc/loadavg"));
  test("truncated", () => expect(() => parseLoadavg("0.5 0.6")).toThrow("/proc/loadavg"));
  test("malformed", () => expect(() => parseLoadavg("a b c")).toThrow("/proc/loadavg"));
});

describe("parseUptime", () => {
  test("normal", () => expect(parseUptime("350735.47 234388.90\n")).toBe(350735.47));
  test("one field", () => expect(parseUptime("12.5")).toBe(12.5));
  test("empty", () => expect(() => parseUptime("")).toThrow("/proc/uptime"));
  test("malformed", () => expect(() => parseUptime("up 3 days")).toThrow("/proc/uptime"));
});

describe("parseNetDev and networkTotals", () => {
  const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000      50    0    0    0     0          0         0     3000      30    0    0    0     0       0          0
 wlan0:200 2 0 0 0 0 0 0 100 1 0 0 0 0 0 0
`;
  test("normal: lo excluded, no space after the colon accepted", () => {
    expect(networkTotals(parseNetDev(text))).toEqual({ bytes_sent: 3100, bytes_received: 5200, packets_sent: 31, packets_received: 52 });
  });
  test("interfaces enslaved to a bond are counted once, at the bond", () => {
    const bonded = `${text}  bond0: 5200 52 0 0 0 0 0 0 3100 31 0 0 0 0 0 0\n`;
    expect(networkTotals(parseNetDev(bonded), new Set(["eth0", "wlan0"]))).toEqual({ bytes_sent: 3100, bytes_received: 5200, packets_sent: 31, packets_received: 52 });
  });
  test("empty", () => expect(networkTotals(parseNetDev(""))).toEqual({ bytes_sent: 0, bytes_received: 0, packets_sent: 0, packets_received: 0 }));
  test("truncated line is skipped", () => expect(parseNetDev("eth0: 1 2 3\n")).toEqual([]));
  test("extra columns are ignored", () => expect(parseNetDev("eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n")[0]).toEqual({ iface: "eth0", bytesReceived: 1, packetsReceived: 2, bytesSent: 9, packetsSent: 10 }));
  test("malformed numbers are skipped", () => expect(parseNetDev("eth0: a 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n")).toEqual([]));
});

describe("parseWireless", () => {
  const header = "Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n";
  test("normal", () => expect(parseWireless(`${header}wlan0: 0000   57.  -53.  -256        0      0      0      0    112        0\n`)).toEqual([{ iface: "wlan0", link: 57, level: -53 }]));
  test("header only (no wireless interface)", () => expect(parseWireless(header)).toEqual([]));
  test("empty", () => expect(parseWireless("")).toEqual([]));
  test("truncated", () => expect(parseWireless(`${header}wlan0: 0000   57.\n`)).toEqual([]));
  test("malformed", () => expect(parseWireless(`${header}wlan0: 0000 good bad\n`)).toEqual([]));
});

describe("parseMounts and realMounts", () => {
  const text = `/dev/root / ext4 rw,noatime 0 0
proc /proc proc rw 0 0
tmpfs /run tmpfs rw 0 0
/dev/sda1 /mnt/my\\040disk ext4 rw 0 0
/dev/root /var/bind ext4 rw 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw 0 0
/dev/loop0 /snap/core/1 squashfs ro 0 0
nas:/export /mnt/nas nfs4 rw 0 0
`;
  test("normal: virtual filesystems skipped, escapes decoded, bind mounts deduped by device", () => {
    expect(realMounts(parseMounts(text)).map((m) => m.mountpoint)).toEqual(["/", "/mnt/my disk", "/mnt/nas"]);
  });
  test("empty", () => expect(parseMounts("")).toEqual([]));
  test("truncated and malformed lines are skipped", () => expect(parseMounts("/dev/sda1 /x\nnonsense\n/dev/sdb relative ext4 rw 0 0\n")).toEqual([]));
  test("extra fields are ignored", () => expect(parseMounts("/dev/sda1 /x ext4 rw 0 0 extra\n")).toEqual([{ device: "/dev/sda1", mountpoint: "/x", fstype: "ext4" }]));
});

describe("diskPercent (df semantics)", () => {
  test("reserved blocks count as neither used nor available", () => {
    // 1000 blocks, 400 free of which 350 available to users: used 600, avail 350 → 63.2 %
    expect(diskPercent({ bsize: 4096, blocks: 1000, bfree: 400, bavail: 350 })).toBe(63.2);
  });
  test("empty filesystem", () => expect(diskPercent({ bsize: 4096, blocks: 0, bfree: 0, bavail: 0 })).toBe(0));
  test("full with reserve left", () => expect(diskPercent({ bsize: 4096, blocks: 100, bfree: 5, bavail: 0 })).toBe(100));
});

describe("milliCelsius", () => {
  const cases: [string | undefined, number | undefined][] = [
    ["48312\n", 48.3],
    ["-5000\n", -5],
    ["-273000\n", undefined],
    ["250000", undefined],
    ["", undefined],
    [undefined, undefined],
    ["4831x", undefined],
  ];
  test.each(cases)("%p → %p", (text, expected) => expect(milliCelsius(text)).toBe(expected));
});

describe("battery", () => {
  const bat = (extra: Partial<PowerSupply>): PowerSupply => ({ name: "BAT0", type: "Battery", ...extra });
  test("no supplies", () => {
    expect(batteryStatus([])).toBe("NO_BATTERY");
    expect(batteryLevel([])).toBeUndefined();
  });
  test("discharging with AC offline", () => expect(batteryStatus([bat({ status: "Discharging" }), { name: "AC", type: "Mains", online: 0 }])).toBe("UNPLUGGED"));
  test("AC online", () => expect(batteryStatus([bat({ status: "Discharging" }), { name: "AC", type: "Mains", online: 1 }])).toBe("PLUGGED"));
  test("USB-C online", () => expect(batteryStatus([bat({}), { name: "usb", type: "USB", online: 1 }])).toBe("PLUGGED"));
  test("charging or full without an AC supply", () => {
    expect(batteryStatus([bat({ status: "Charging" })])).toBe("PLUGGED");
    expect(batteryStatus([bat({ status: "Full" })])).toBe("PLUGGED");
  });
  test("a peripheral's battery is not the device's", () => expect(batteryStatus([bat({ scope: "Device" })])).toBe("NO_BATTERY"));
  test("level from capacity, health from design energy", () => {
    expect(batteryLevel([bat({ capacity: 76, energyNow: 38, energyFull: 50, energyFullDesign: 57 })])).toEqual({ percent: 76, health_percent: 87.7 });
  });
  test("level from energy when capacity is missing", () => expect(batteryLevel([bat({ energyNow: 25, energyFull: 50 })])).toEqual({ percent: 50 }));
  test("no figures at all", () => expect(batteryLevel([bat({})])).toBeUndefined());
});

describe("parseOsRelease", () => {
  test("normal, quoted and escaped", () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME=Debian\nX=\'a\\"b\'\n# comment\n')).toEqual({ PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)", NAME: "Debian", X: 'a"b' });
  });
  test("empty", () => expect(parseOsRelease("")).toEqual({}));
  test("malformed lines are skipped", () => expect(parseOsRelease("lower=x\nNOEQUALS\nA=1\n")).toEqual({ A: "1" }));
});

describe("processIds", () => {
  const rootWith = (entries: string[]) => {
    const root = mkdtempSync(join(tmpdir(), "bagtower-pids-"));
    for (const name of entries) mkdirSync(join(root, "proc", name), { recursive: true });
    return root;
  };
  const statfs = async () => ({ bsize: 0, blocks: 0, bfree: 0, bavail: 0 });
  test("numeric entries only, ascending as numbers, listed once per run", () => {
    const root = rootWith(["1", "22", "self", "sys", "333", "1a", "10"]);
    const probe = createProbe(root, statfs);
    expect(processIds(probe)).toEqual([1, 10, 22, 333]);
    mkdirSync(join(root, "proc", "4"));
    expect(processIds(probe)).toEqual([1, 10, 22, 333]);
    expect(processIds(createProbe(root, statfs))).toEqual([1, 4, 10, 22, 333]);
    rmSync(root, { recursive: true });
  });
  test("no /proc: none", () => expect(processIds(createProbe("/nonexistent-root", statfs))).toEqual([]));
});
