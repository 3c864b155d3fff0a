/**
 * A minimal MQTT 3.1.1 publisher: connect, one PUBLISH at QoS 1, wait for its PUBACK, disconnect.
 * Our own rather than a dependency (mqtt.js pulls in some 40 packages for what is 4 packet types
 * here); kept apart from the alert channel so an MQTT sink can use it too.
 */
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { createSocketReader, deadlineAfter } from "../net/socket-reader.ts";
import { CONNACK_REFUSALS, encodeConnect, encodeDisconnect, encodePublish } from "./packets.ts";

export interface PublishOptions {
  host: string;
  port: number;
  tls: boolean;
  topic: string;
  payload: Buffer | string;
  user?: string;
  password?: string;
  retain?: boolean;
  clientId: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Trusted certificates besides the system's (PEM). */
  ca?: string;
}

/** Publishes one message at QoS 1; resolves when the broker acknowledged it, rejects with one line otherwise. */
export async function mqttPublish(options: PublishOptions): Promise<void> {
  const { expired, cancel } = deadlineAfter(options.timeoutMs, `mqtt ${options.host}:${options.port}`, options.signal);
  const socket: Socket = options.tls ? tlsConnect({ host: options.host, port: options.port, servername: isIP(options.host) ? undefined : options.host, ...(options.ca ? { ca: options.ca } : {}) }) : netConnect({ host: options.host, port: options.port });
  socket.on("error", () => {}); // the reader reports it
  try {
    const reader = createSocketReader(socket, expired);
    socket.write(encodeConnect({ clientId: options.clientId, keepAliveSeconds: 30, user: options.user, password: options.password }));
    const [type] = await reader.readBytes(1);
    const [length] = await reader.readBytes(1);
    if (type !== 0x20 || length !== 2) throw new Error(`mqtt: expected CONNACK, got packet type ${(type ?? 0) >> 4}`);
    const connack = await reader.readBytes(2);
    const code = connack[1]!;
    if (code !== 0) throw new Error(`mqtt: the broker refused the connection: ${CONNACK_REFUSALS[code] ?? `code ${code}`}`);
    const packetId = 1;
    socket.write(encodePublish(options.topic, Buffer.isBuffer(options.payload) ? options.payload : Buffer.from(options.payload), packetId, options.retain ?? false));
    for (;;) {
      const [header] = await reader.readBytes(1);
      let remaining = 0;
      for (let shift = 0; ; shift += 7) {
        const [byte] = await reader.readBytes(1);
        remaining += (byte! & 0x7f) << shift;
        if (!(byte! & 0x80)) break;
      }
      const body = await reader.readBytes(remaining);
      // A PUBACK for our packet id; anything else (a PINGRESP) is skipped.
      if (header! >> 4 === 4 && body.readUInt16BE(0) === packetId) break;
    }
    socket.write(encodeDisconnect());
  } finally {
    cancel();
    socket.destroy();
  }
}
