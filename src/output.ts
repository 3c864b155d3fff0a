import { writeSync } from "node:fs";

const _encoder = new TextEncoder();
const _pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `text` to a file descriptor, synchronously. Not process.stdout: touching Node's
 * stream objects costs ~7 ms at start-up, a third of collect's whole budget. Handles partial writes
 * and EAGAIN (a parent may hand us a non-blocking pipe).
 */
export function writeFd(fd: number, text: string): void {
  const bytes = _encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return; // `collect | head`: the reader left; nothing more to say
      if (code !== "EAGAIN") throw error;
      Atomics.wait(_pause, 0, 0, 5);
    }
  }
}

export const writeStdout = (text: string) => writeFd(1, text);
export const writeStderr = (text: string) => writeFd(2, text);
