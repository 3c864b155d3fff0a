/**
 * A minimal MQTT 3.1.1 publisher: connect, PUBLISH at QoS 1, wait for each PUBACK, disconnect.
 * Our own rather than a dependency (mqtt.js pulls in some 40 packages for what is 4 packet types
 * here); shared by the alert channel (one message) and the MQTT sink (a session of many).
 */
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { createSocketReader, deadlineAfter, type SocketReader } from "../net/socket-reader.ts";
import { CONNACK_REFUSALS, encodeConnect, encodeDisconnect, encodePublish } from "./packets.ts";

export interface ConnectionOptions {
  host: string;
  port: number;
  tls: boolean;
  user?: string;
  password?: string;
  clientId: string;
  /** One deadline for the whole session: connecting, publishing and every PUBACK. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Trusted certificates besides the system's (PEM). */
  ca?: string;
}

export interface PublishOptions extends ConnectionOptions {
  topic: string;
  payload: Buffer | string;
  retain?: boolean;
}

export interface Message {
  topic: string;
  payload: Buffer | string;
  retain?: boolean;
}

/**
 * The broker answered CONNACK with a refusal (§3.2.2.3): a wrong login or a client id it will not
 * take does not get better by retrying, unlike a broker that is down.
 */
export class MqttRefusedError extends Error {
  override name = "MqttRefusedError";
  constructor(readonly code: number) {
    super(`mqtt: the broker refused the connection: ${CONNACK_REFUSALS[code] ?? `code ${code}`}`);
  }
}

/**
 * Every refusal but 3 (server unavailable) is the client's settings: the protocol version (1), the
 * client id (2), the user name or password (4), the rights (5); a retry would be refused the same way.
 */
export function isSettingsRefusal(error: unknown): error is MqttRefusedError {
  return error instanceof MqttRefusedError && error.code !== 3;
}

async function _readPacket(reader: SocketReader): Promise<{ type: number; body: Buffer }> {
  const [header] = await reader.readBytes(1);
  let remaining = 0;
  for (let shift = 0; ; shift += 7) {
    const [byte] = await reader.readBytes(1);
    remaining += (byte! & 0x7f) << shift;
    if (!(byte! & 0x80)) break;
    if (shift >= 21) throw new Error("mqtt: a remaining length over 4 bytes from the broker");
  }
  return { type: header! >> 4, body: await reader.readBytes(remaining) };
}

/**
 * Publishes `messages` at QoS 1 over one connection, in order, and resolves once the broker
 * acknowledged every one (PUBACK, §4.3.2); rejects with one line otherwise, so the caller keeps
 * what it sent. The publishes are pipelined: a broker acknowledges them in the order sent, and a
 * round trip per message would make a push of 60 sensors 60 round trips.
 */
export async function mqttPublishAll(options: ConnectionOptions, messages: readonly Message[]): Promise<void> {
  if (messages.length > 65_535) throw new RangeError("mqtt: more than 65,535 messages in one session");
  const { expired, cancel } = deadlineAfter(options.timeoutMs, `mqtt ${options.host}:${options.port}`, options.signal);
  const socket: Socket = options.tls
    ? tlsConnect({ host: options.host, port: options.port, servername: isIP(options.host) ? undefined : options.host, ...(options.ca ? { ca: options.ca } : {}) })
    : netConnect({ host: options.host, port: options.port });
  socket.on("error", () => {}); // the reader reports it
  try {
    const reader = createSocketReader(socket, expired);
    socket.write(encodeConnect({ clientId: options.clientId, keepAliveSeconds: 30, user: options.user, password: options.password }));
    const connack = await _readPacket(reader);
    if (connack.type !== 2 || connack.body.length !== 2) throw new Error(`mqtt: expected CONNACK, got packet type ${connack.type}`);
    if (connack.body[1] !== 0) throw new MqttRefusedError(connack.body[1]!);
    const pending = new Set<number>();
    messages.forEach((message, index) => {
      const packetId = index + 1;
      pending.add(packetId);
      socket.write(encodePublish(message.topic, Buffer.isBuffer(message.payload) ? message.payload : Buffer.from(message.payload), packetId, message.retain ?? false));
    });
    while (pending.size > 0) {
      const packet = await _readPacket(reader);
      // A PUBACK for one of ours; anything else (a PINGRESP) is skipped.
      if (packet.type === 4 && packet.body.length >= 2) pending.delete(packet.body.readUInt16BE(0));
    }
    socket.write(encodeDisconnect());
  } finally {
    cancel();
    socket.destroy();
  }
}

/** Publishes one message at QoS 1; resolves when the broker acknowledged it, rejects with one line otherwise. */
export async function mqttPublish(options: PublishOptions): Promise<void> {
  const { topic, payload, retain, ...connection } = options;
  await mqttPublishAll(connection, [{ topic, payload, retain }]);
}
