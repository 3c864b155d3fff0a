// The release this executable was built as (`linux-arm64-musl` …): scripts/build.ts defines
// BAGTOWER_TARGET when it compiles. Under `bun src/cli.ts` there is none: no executable of our own.
declare const BAGTOWER_TARGET: string | undefined;

export const BUILD_TARGET: string | undefined = typeof BAGTOWER_TARGET === "string" ? BAGTOWER_TARGET : undefined;

/** The release file name of a target, as install.sh and /download/ name it. */
export const releaseName = (target: string) => `bagtower-${target}`;
