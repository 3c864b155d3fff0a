// The one way a test waits: for a condition, never for a time. Polls until the probe gives a value,
// and names what it waited for when it gives up.

/**
 * Polls `probe` every `everyMs` until it returns something other than undefined or false (0 and ""
 * count as values) and returns that; throws naming `what` after `timeoutMs`. A probe that throws
 * ends the wait with its error (e.g. the process being waited on exited).
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/**
 * Reads a child's output stream to its end in the background (so the child never blocks on a full
 * pipe). `text()` is what arrived so far; `match(pattern)` is a probe for waitFor: the match, or
 * undefined while more may come, and an error carrying the output once the stream ended without it.
 */
export function drainText(stream: ReadableStream<Uint8Array>): { text: () => string; match: (pattern: RegExp) => RegExpMatchArray | undefined } {
  let text = "";
  let ended = false;
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
    ended = true;
  })();
  return {
    text: () => text,
    match: (pattern) => {
      const found = text.match(pattern);
      if (found) return found;
      if (ended) throw new Error(`the output ended without ${pattern}:\n${text}`);
      return undefined;
    },
  };
}
