/**
 * An RFC 5322 mail of plain text: headers (non-ASCII subjects as RFC 2047 encoded words), a body
 * in 7bit when it is ASCII and base64 otherwise (no 8BITMIME needed), CRLF line ends. Pure.
 */

const _ascii = (text: string) => /^[\x20-\x7e]*$/.test(text);

/** RFC 2047 B-encoding for a header value with characters outside ASCII. */
export function encodeHeaderValue(text: string): string {
  const clean = text.replace(/[\r\n]+/g, " ");
  return _ascii(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, "utf8").toString("base64")}?=`;
}

export interface MailOptions {
  from: string;
  to: string[];
  subject: string;
  text: string;
  date: Date;
  messageId: string;
}

export function buildMail(mail: MailOptions): string {
  const body = mail.text.replace(/\r?\n/g, "\r\n");
  const ascii = /^[\x00-\x7f]*$/.test(body) && body.split("\r\n").every((line) => line.length <= 998);
  const headers = [
    `From: ${mail.from}`,
    `To: ${mail.to.join(", ")}`,
    `Subject: ${encodeHeaderValue(mail.subject)}`,
    `Date: ${mail.date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${mail.messageId}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Transfer-Encoding: ${ascii ? "7bit" : "base64"}`,
    "Auto-Submitted: auto-generated",
  ];
  const encoded = ascii ? body : (Buffer.from(body, "utf8").toString("base64").match(/.{1,76}/g) ?? []).join("\r\n");
  return `${headers.join("\r\n")}\r\n\r\n${encoded}\r\n`;
}

/** RFC 5321 §4.5.2: a line starting with "." gets another one, so it cannot end the DATA. */
export function dotStuff(mail: string): string {
  return mail.replace(/(^|\r\n)\./g, "$1..");
}
