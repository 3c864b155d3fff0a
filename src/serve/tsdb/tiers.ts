// PROVISIONAL (lead's placeholder while the rollup helper writes the real module; replaced at merge).
export interface Retention { rawS: number; fiveMinuteS: number; hourS: number }
export const DEFAULT_RETENTION: Retention = { rawS: 30 * 86400, fiveMinuteS: 90 * 86400, hourS: 730 * 86400 };
export type TierName = "raw" | "5m" | "1h";
export function pickTier(fromS: number, toS: number, nowS: number, retention: Retention, periodS: number, stepS?: number): { tier: TierName; stepS: number } {
  const span = toS - fromS;
  if (stepS === undefined || stepS < 300) if (fromS >= nowS - retention.rawS && span / periodS <= 2000) return { tier: "raw", stepS: stepS ?? 0 };
  if ((stepS === undefined || stepS < 3600) && fromS >= nowS - retention.fiveMinuteS && span / 300 <= 2000) return { tier: "5m", stepS: Math.max(300, stepS ?? 300) };
  return { tier: "1h", stepS: Math.max(3600, stepS ?? 3600) };
}
