/**
 * Rows of several series, each in time order, as one list in time order; a tie keeps the series'
 * order (the store's series ids). A merge, not a sort: each series is already ordered.
 */
export function mergeByTime<T extends { ts: number }>(lists: T[][]): T[] {
  const live = lists.filter((l) => l.length > 0);
  if (live.length <= 1) return live[0] ?? [];
  const at = new Array<number>(live.length).fill(0);
  const out: T[] = [];
  for (;;) {
    let pick = -1;
    for (let i = 0; i < live.length; i++) {
      const row = live[i]![at[i]!];
      if (row !== undefined && (pick < 0 || row.ts < live[pick]![at[pick]!]!.ts)) pick = i;
    }
    if (pick < 0) return out;
    out.push(live[pick]![at[pick]!++]!);
  }
}
