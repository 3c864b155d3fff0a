/**
 * MQTT 3.1.1 packets a publisher needs (OASIS mqtt-v3.1.1 §3.1 CONNECT, §3.2 CONNACK, §3.3
 * PUBLISH, §3.4 PUBACK, §3.14 DISCONNECT). Pure encoders and decoders; the client does the I/O.
 */

/** §2.2.3: the remaining length in 1 to 4 bytes of 7 bits each. */
export function encodeRemainingLength(length: number): Buffer {
  if (length < 0 || length > 268_435_455) throw new RangeError(`MQTT packet of ${length} bytes: over the protocol's limit`);
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

const _string = (text: string | Buffer): Buffer => {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  if (bytes.length > 65_535) throw new RangeError("MQTT string over 65,535 bytes");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

const _packet = (type: number, flags: number, body: Buffer) => Buffer.concat([Buffer.from([(type << 4) | flags]), encodeRemainingLength(body.length), body]);

export interface ConnectOptions {
  clientId: string;
  keepAliveSeconds: number;
  user?: string;
  password?: string;
}

export function encodeConnect(options: ConnectOptions): Buffer {
  let flags = 0x02; // clean session
  if (options.user !== undefined) flags |= 0x80;
  if (options.password !== undefined) flags |= 0x40;
  const keepAlive = Buffer.alloc(2);
  keepAlive.writeUInt16BE(options.keepAliveSeconds);
  const parts = [_string("MQTT"), Buffer.from([4, flags]), keepAlive, _string(options.clientId)];
  if (options.user !== undefined) parts.push(_string(options.user));
  if (options.password !== undefined) parts.push(_string(options.password));
  return _packet(1, 0, Buffer.concat(parts));
}

export function encodePublish(topic: string, payload: Buffer, packetId: number, retain: boolean): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  // QoS 1 (bits 1-2 = 01), DUP 0.
  return _packet(3, 0x02 | (retain ? 1 : 0), Buffer.concat([_string(topic), id, payload]));
}

export const encodeDisconnect = () => Buffer.from([0xe0, 0x00]);

/** §3.2.2.3: CONNACK return codes. */
export const CONNACK_REFUSALS: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "client identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};
