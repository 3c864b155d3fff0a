import { BagtowerError } from "../../errors.ts";

/**
 * A chunk that cannot be what an encoder wrote: wrong checksum, unknown version or codec, a stream
 * that ends early or runs long, a sample out of range. The store reports it with its series and
 * skips it; decoding never returns a guess.
 */
export class CorruptChunkError extends BagtowerError {
  constructor(message: string) {
    super(`corrupt chunk: ${message}`);
    this.name = "CorruptChunkError";
  }
}

/**
 * A sample the codec cannot store: not finite, a timestamp that is not a whole second in range or
 * not after the previous one. Ingest refuses such input upstream, so this is a bug in the caller.
 */
export class InvalidSampleError extends BagtowerError {
  constructor(message: string) {
    super(message);
    this.name = "InvalidSampleError";
  }
}
