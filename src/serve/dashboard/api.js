// The read API as the dashboard calls it, and a device's two addresses: its API path and its page.
// The login is an HttpOnly cookie the browser sends by itself: no token passes through here.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** JSON in, JSON out; a refusal becomes an ApiError carrying the server's own message. */
export async function api(path, init = {}) {
  const headers = new Headers(init.headers);
  if (init.body !== undefined) headers.set("Content-Type", "application/json");
  let res;
  try {
    res = await fetch(path, { ...init, headers });
  } catch (err) {
    throw new ApiError(0, `the server did not answer (${err.message})`);
  }
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, (body && body.error) || `${res.status} ${res.statusText}`);
  return body;
}

export const devicePath = (id) => `/api/devices/${encodeURIComponent(id)}`;
export const deviceHash = (id) => `#/device/${encodeURIComponent(id)}`;
