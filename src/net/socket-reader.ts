/**
 * Reads a TCP (or TLS) socket by bytes or by lines, for the small protocol clients (SMTP, MQTT):
 * what arrives is buffered, and every read fails once the socket closes, errors, or the caller's
 * deadline passes, so a silent server never holds a delivery.
 */
import type { Socket } from "node:net";

export interface SocketReader {
  readBytes(size: number): Promise<Buffer>;
  /** One line without its CRLF (or LF). */
  readLine(maxBytes?: number): Promise<string>;
  /** Starts reading from another socket (after STARTTLS), keeping nothing of the old one. */
  rebind(socket: Socket): void;
}

export function createSocketReader(first: Socket, deadline: Promise<never>): SocketReader {
  let buffer: Buffer = Buffer.alloc(0);
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let socket: Socket;
  const onData = (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    wake?.();
  };
  const onEnd = () => {
    failure ??= new Error("the server closed the connection");
    wake?.();
  };
  const onError = (error: Error) => {
    failure ??= error;
    wake?.();
  };
  deadline.catch((error: Error) => onError(error));
  function bind(next: Socket) {
    socket?.off("data", onData).off("end", onEnd).off("close", onEnd).off("error", onError);
    socket = next;
    buffer = Buffer.alloc(0);
    next.on("data", onData).on("end", onEnd).on("close", onEnd).on("error", onError);
  }
  bind(first);
  const more = () =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      wake = () => {
        wake = undefined;
        if (failure) reject(failure);
        else resolve();
      };
    });
  return {
    async readBytes(size) {
      while (buffer.length < size) await more();
      const out = buffer.subarray(0, size);
      buffer = buffer.subarray(size);
      return out;
    },
    async readLine(maxBytes = 4096) {
      for (;;) {
        const end = buffer.indexOf(10);
        if (end >= 0) {
          const line = buffer.subarray(0, end).toString("utf8").replace(/\r$/, "");
          buffer = buffer.subarray(end + 1);
          return line;
        }
        if (buffer.length > maxBytes) throw new Error(`a line longer than ${maxBytes} bytes from the server`);
        await more();
      }
    },
    rebind: bind,
  };
}

/** A promise that rejects after `ms` (or when `signal` aborts), and its cancel. */
export function deadlineAfter(ms: number, what: string, signal?: AbortSignal): { expired: Promise<never>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    signal?.addEventListener("abort", () => reject(new Error(`${what}: stopped`)));
  });
  expired.catch(() => {});
  return { expired, cancel: () => clearTimeout(timer) };
}
