/** The same bytes with a CRC-32 (little-endian) appended that matches them: to reach a decoder's checks behind its checksum. */
export function resealed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 4);
  out.set(bytes);
  new DataView(out.buffer).setUint32(bytes.length, Bun.hash.crc32(bytes), true);
  return out;
}
