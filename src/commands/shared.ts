import type { Context, GlobalFlags } from "../context.ts";
import { createContext } from "../context.ts";

/** What runCli hands every command besides its arguments: test seams for the Context. */
export interface CommandData {
  overrides?: Partial<Context>;
  /** Ends long-running commands (collect --watch) instead of SIGINT/SIGTERM. */
  stop?: AbortSignal;
}

export function contextFor(args: GlobalFlags, data: CommandData | undefined): Context {
  return createContext(args, data?.overrides);
}
