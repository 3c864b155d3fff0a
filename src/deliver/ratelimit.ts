// telemetrics-client's rate limiter (SPEC §6): 60 one-minute slots indexed by minute of the hour.
// A send at minute m passes when the sum of the slots in [m − window + 1, m] (mod 60) plus this
// send is ≤ the limit; after a successful send slot m grows and the slots outside the window are
// zeroed. A limit of −1 disables the limiter.

export type Slots = number[];

export function emptySlots(): Slots {
  return new Array(60).fill(0);
}

function _inWindow(slot: number, minute: number, window: number): boolean {
  return (minute - slot + 60) % 60 < window;
}

export function windowSum(slots: Slots, minute: number, window: number): number {
  let sum = 0;
  for (let slot = 0; slot < 60; slot++) if (_inWindow(slot, minute, window)) sum += slots[slot] ?? 0;
  return sum;
}

export function allowed(slots: Slots, minute: number, window: number, limit: number, increment: number): boolean {
  return limit === -1 || windowSum(slots, minute, window) + increment <= limit;
}

/** After a successful send: slot m grows by the increment, slots outside the window are zeroed. */
export function recordSend(slots: Slots, minute: number, window: number, increment: number): Slots {
  return slots.map((value, slot) => (slot === minute ? value + increment : _inWindow(slot, minute, window) ? value : 0));
}

/**
 * Ages the slots to the current minute. telemetrics-client keeps only minute-of-hour slots, so a
 * slot written 70 minutes ago would count again; zeroing every minute that passed since the last
 * update keeps the window honest across idle hours (a cron agent is idle most of the time).
 */
export function ageSlots(slots: Slots, lastMinuteAbs: number | undefined, nowMinuteAbs: number): Slots {
  // Unknown history, an idle hour, or a clock that went back: nothing in the slots is current.
  if (lastMinuteAbs === undefined || nowMinuteAbs - lastMinuteAbs >= 60 || nowMinuteAbs < lastMinuteAbs) return emptySlots();
  const out = [...slots];
  for (let m = lastMinuteAbs + 1; m <= nowMinuteAbs; m++) out[m % 60] = 0;
  return out;
}
