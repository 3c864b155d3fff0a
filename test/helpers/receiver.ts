// A real HTTP receiver (Bun.serve on port 0) that records every request and answers as the test says.

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Answer = (request: Received) => Response | Promise<Response>;

export function startReceiver(answer: Answer = () => new Response("ok")) {
  const requests: Received[] = [];
  let respond = answer;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      const received: Received = { method: request.method, path: url.pathname + url.search, headers: Object.fromEntries(request.headers), body: await request.text() };
      requests.push(received);
      return respond(received);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port!,
    requests,
    answer(next: Answer) {
      respond = next;
    },
    stop: () => server.stop(true),
  };
}
