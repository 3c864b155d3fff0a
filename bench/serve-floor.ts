#!/usr/bin/env bun
// The floor of bench/serve.ts: a bare Bun.serve that reads the body, JSON.parses it and answers
// {"status":"ok"}: what any Bun receiver pays before storing anything. Run as a child process.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    JSON.parse(await request.text());
    return new Response('{"status":"ok"}', { headers: { "Content-Type": "application/json" } });
  },
});
console.error(`floor: listening on http://127.0.0.1:${server.port}/`);
process.once("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
