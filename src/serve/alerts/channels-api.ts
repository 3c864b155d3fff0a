/**
 * The channels API's handlers (the routes and their rights are in app.ts's route table):
 * GET lists channels with secrets as ***, POST adds, PATCH changes, DELETE removes, POST …/test
 * sends a test message and answers with the outcome; GET /api/notifications is the history.
 */
import { HttpError } from "../http-errors.ts";
import { ChannelInputError, ChannelNotFoundError, type Notifier } from "./notifier.ts";

function _id(text: string): number {
  if (!/^\d{1,12}$/.test(text)) throw new HttpError(404, `no channel ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

function _http<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ChannelNotFoundError) throw new HttpError(404, error.message);
    if (error instanceof ChannelInputError) throw new HttpError(400, error.message);
    throw error;
  }
}

export function channelsApi(notifier: Notifier) {
  /** A channel of the API's own: one from the flags or the config file would be put back as it was at the next start. */
  const _ownChannel = (id: string, what: string): number => {
    const channelId = _id(id);
    const source = _http(() => notifier.channels.sourceOf(channelId));
    if (source !== "api") throw new HttpError(409, `channel ${channelId} comes from ${source === "flag" ? "serve --channel" : "config serve.channels"}; ${what} it there`);
    return channelId;
  };
  return {
    list: () => ({ channels: notifier.channels.list() }),
    add: (body: unknown) => _http(() => notifier.channels.add(body, "api")),
    update(id: string, body: unknown) {
      const channelId = _ownChannel(id, "change");
      return _http(() => notifier.channels.update(channelId, body));
    },
    remove(id: string) {
      const channelId = _ownChannel(id, "remove");
      notifier.channels.remove(channelId);
      return { status: "ok", deleted: channelId };
    },
    test(id: string) {
      const channelId = _id(id);
      _http(() => notifier.channels.get(channelId));
      return notifier.channels.test(channelId);
    },
    history(params: URLSearchParams) {
      const number = (name: string) => {
        const text = params.get(name);
        if (text === null) return undefined;
        if (!/^-?\d{1,12}$/.test(text)) throw new HttpError(400, `${name}: expected a whole number`);
        return Number(text);
      };
      return { notifications: notifier.attempts({ alertId: number("alertId"), channelId: number("channelId"), limit: number("limit") }) };
    },
  };
}
