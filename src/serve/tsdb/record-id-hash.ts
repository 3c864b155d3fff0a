/**
 * A record id as the store keeps it for deduplication: 52 bits of its wyhash, a whole number a
 * double holds exactly (so it is a sample like any other, in the device's record series). Two
 * different ids of one device at the same second collide with a chance of 2^-52; 0 means "no id".
 */
const _MASK = (1n << 52n) - 1n;

export function recordIdHash(recordId: string): number {
  const h = Number(BigInt.asUintN(64, Bun.hash.wyhash(recordId)) & _MASK);
  return h === 0 ? 1 : h;
}
