// eMMC wear from /sys/block/mmcblkN/device/life_time ("0x01 0x02": JEDEC DEVICE_LIFE_TIME_EST_TYP_A/B,
// 0x01 = 0–10 % of life used … 0x0A = 90–100 %, 0x0B = exceeded) and pre_eol_info (0x01 normal,
// 0x02 warning: 80 % of reserved blocks used, 0x03 urgent). Reported as `mmcblkN.wear_a`/`wear_b`,
// the upper bound of the estimate in percent used (0x0B → 100), and `mmcblkN.pre_eol` 1–3.
import { defineItem } from "../item.ts";
import { sysValue } from "../probe.ts";

/** JEDEC life_time estimate (1–11) → upper bound of percent used; 0 ("not defined") and junk → undefined. */
export function lifeTimePercent(code: number): number | undefined {
  if (!Number.isInteger(code) || code < 1 || code > 0x0b) return undefined;
  return Math.min(100, code * 10);
}

function _hex(token: string | undefined): number | undefined {
  return token !== undefined && /^0x[0-9a-f]{1,2}$/i.test(token) ? Number.parseInt(token.slice(2), 16) : undefined;
}

/** life_time text → percent used for type A and B memory (either may be undefined). */
export function parseLifeTime(text: string | undefined): { wear_a?: number; wear_b?: number } {
  const [a, b] = (sysValue(text) ?? "").split(/\s+/);
  const wearA = lifeTimePercent(_hex(a) ?? 0);
  const wearB = lifeTimePercent(_hex(b) ?? 0);
  return { ...(wearA === undefined ? {} : { wear_a: wearA }), ...(wearB === undefined ? {} : { wear_b: wearB }) };
}

/** pre_eol_info text → 1 normal, 2 warning, 3 urgent; 0 ("not defined") and junk → undefined. */
export function parsePreEol(text: string | undefined): number | undefined {
  const code = _hex(sysValue(text));
  return code !== undefined && code >= 1 && code <= 3 ? code : undefined;
}

export const storageHealth = defineItem({
  id: "storage_health",
  type: "percent",
  read: (ic) => {
    const out: Record<string, number> = {};
    for (const dev of ic.probe.list("/sys/block").filter((n) => /^mmcblk\d+$/.test(n))) {
      const dir = `/sys/block/${dev}/device`;
      const wear = parseLifeTime(ic.probe.maybeText(`${dir}/life_time`));
      for (const [key, value] of Object.entries(wear)) out[`${dev}.${key}`] = value;
      const preEol = parsePreEol(ic.probe.maybeText(`${dir}/pre_eol_info`));
      if (preEol !== undefined) out[`${dev}.pre_eol`] = preEol;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  },
});
