// What this browser may do ({right: "admin" | "read" | null}), asked once at start. The login is an
// HttpOnly cookie that the server set from the login link: the page never sees a token.
import { api } from "./api.js";

export const LOGIN_HINT = "open the login link that bagtower serve prints at start (bagtower serve key on the server prints a fresh one)";

let session = { right: null };

export async function loadSession() {
  try {
    session = (await api("/api/session")) || session;
  } catch {
    // The pages' own requests then show what is wrong.
  }
}

export const isAdmin = () => session.right === "admin";
