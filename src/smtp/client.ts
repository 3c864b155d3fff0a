/**
 * A minimal SMTP submission client (RFC 5321): EHLO, STARTTLS when the server offers it (RFC 3207),
 * AUTH PLAIN or LOGIN, one mail to its recipients, QUIT. `smtps` is TLS from the first byte
 * (RFC 8314). Our own rather than nodemailer: that is not among our dependencies, and what an alert
 * needs is these few commands. A password is never sent over a connection without TLS unless the
 * server is on loopback (a local relay).
 */
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { createSocketReader, deadlineAfter, type SocketReader } from "../net/socket-reader.ts";
import { buildMail, dotStuff } from "./message.ts";

export interface SmtpOptions {
  host: string;
  port: number;
  implicitTls: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** The name we greet with, and the right side of the Message-ID. */
  helo: string;
  now: () => number;
  messageId: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Trusted certificates besides the system's (PEM). */
  ca?: string;
}

/** An SMTP refusal: `code` 4xx is temporary (try later), 5xx permanent. */
export class SmtpError extends Error {
  override name = "SmtpError";
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

interface _Reply {
  code: number;
  lines: string[];
}

async function _reply(reader: SocketReader): Promise<_Reply> {
  const lines: string[] = [];
  for (;;) {
    const line = await reader.readLine();
    const m = /^(\d{3})([ -])(.*)$/.exec(line);
    if (!m) throw new Error(`smtp: not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`);
    lines.push(m[3]!);
    if (m[2] === " ") return { code: Number(m[1]), lines };
  }
}

const _loopback = (host: string) => host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));

export async function sendMail(options: SmtpOptions): Promise<string> {
  const { expired, cancel } = deadlineAfter(options.timeoutMs, `smtp ${options.host}:${options.port}`, options.signal);
  let socket: Socket = options.implicitTls ? tlsConnect({ host: options.host, port: options.port, servername: isIP(options.host) ? undefined : options.host, ...(options.ca ? { ca: options.ca } : {}) }) : netConnect({ host: options.host, port: options.port });
  let secure = options.implicitTls;
  const reader = createSocketReader(socket, expired);
  const command = async (line: string, expect: number, what = line.split(" ")[0]!): Promise<_Reply> => {
    if (line) socket.write(`${line}\r\n`);
    const reply = await _reply(reader);
    if (Math.floor(reply.code / 100) !== expect) throw new SmtpError(`smtp ${what}: ${reply.code} ${reply.lines.join(" ").slice(0, 200)}`, reply.code);
    return reply;
  };
  try {
    await command("", 2, "greeting");
    let ehlo = await command(`EHLO ${options.helo}`, 2, "EHLO");
    const offers = (name: string) => ehlo.lines.some((l) => l.toUpperCase().split(" ")[0] === name);
    if (!secure && offers("STARTTLS")) {
      await command("STARTTLS", 2);
      const upgraded: TLSSocket = tlsConnect({ socket, servername: isIP(options.host) ? undefined : options.host, ...(options.ca ? { ca: options.ca } : {}) });
      await Promise.race([new Promise<void>((resolve, reject) => upgraded.once("secureConnect", resolve).once("error", reject)), expired]);
      socket = upgraded;
      reader.rebind(upgraded);
      secure = true;
      ehlo = await command(`EHLO ${options.helo}`, 2, "EHLO");
    }
    if (options.user !== undefined) {
      if (!secure && !_loopback(options.host)) throw new SmtpError(`smtp: ${options.host} offers no STARTTLS; the password is not sent in clear text (use smtps:// or a relay on loopback)`, 530);
      const auth = ehlo.lines.find((l) => l.toUpperCase().startsWith("AUTH"))?.toUpperCase().split(/[ =]/) ?? [];
      const user = options.user;
      const password = options.password ?? "";
      if (auth.includes("PLAIN") || !auth.includes("LOGIN")) {
        await command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString("base64")}`, 2, "AUTH");
      } else {
        await command("AUTH LOGIN", 3, "AUTH");
        await command(Buffer.from(user).toString("base64"), 3, "AUTH");
        await command(Buffer.from(password).toString("base64"), 2, "AUTH");
      }
    }
    await command(`MAIL FROM:<${options.from}>`, 2, "MAIL FROM");
    for (const to of options.to) await command(`RCPT TO:<${to}>`, 2, "RCPT TO");
    await command("DATA", 3);
    const mail = buildMail({ from: options.from, to: options.to, subject: options.subject, text: options.text, date: new Date(options.now()), messageId: options.messageId });
    const accepted = await command(`${dotStuff(mail)}.`, 2, "DATA");
    socket.write("QUIT\r\n");
    return `${accepted.code} ${accepted.lines.join(" ").slice(0, 120)}`;
  } finally {
    cancel();
    socket.destroy();
  }
}
