import { realpathSync } from "node:fs";
import { globalArgs } from "../argv.ts";
import { BUILD_TARGET } from "../build-target.ts";
import { loadConfig } from "../config/load.ts";
import { BagtowerError, ExitCode } from "../errors.ts";
import { downloadToken, runUpdate, updateServer } from "../self-update.ts";
import { defineBagtowerCommand } from "./_shared.ts";

/** `NEW --version`, or undefined when it does not run here. */
async function _versionOf(file: string): Promise<string | undefined> {
  const proc = Bun.spawn([file, "--version"], { stdin: "ignore", stdout: "pipe", stderr: "ignore", env: {} });
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return code === 0 ? text.trim() : undefined;
}

export default defineBagtowerCommand({
  meta: { name: "update", description: "Replace this executable with the one the receiver it pushes to hands out (checked against its SHA256SUMS)" },
  args: {
    ...globalArgs,
    server: { type: "string", valueHint: "URL", description: "The bagtower serve to update from (default: config.json's bagtower sink)" },
    "download-token": { type: "string", valueHint: "TOKEN", description: "The receiver's read token (BAGTOWER_DOWNLOAD_TOKEN; default: HOME/download-token, kept by install.sh)" },
    check: { type: "boolean", description: "Only tell whether the receiver has another executable (exit 0 either way)" },
    json: { type: "boolean", description: "Print the result as JSON on stdout" },
  },
  async run({ args, ctx }) {
    if (!BUILD_TARGET) throw new BagtowerError("bagtower update replaces the built executable; this runs from source under bun (update the checkout instead)");
    const server = updateServer(loadConfig(ctx), args.server);
    const result = await runUpdate(ctx, {
      server,
      token: downloadToken(ctx, args["download-token"]),
      target: BUILD_TARGET,
      // The file itself, not a symlink to it: the rename replaces the file in its own directory.
      executable: realpathSync(process.execPath),
      check: Boolean(args.check),
      version: _versionOf,
    });
    const said = {
      current: `${result.file} is what ${server} hands out already`,
      available: `${server} hands out another executable (sha256 ${result.sha256}); bagtower update installs it`,
      updated: `updated ${result.file} to ${result.version} from ${server}`,
    }[result.status];
    ctx.log.info(said);
    if (args.json) ctx.write(`${JSON.stringify(result)}\n`);
    return { exitCode: ExitCode.ok, data: result };
  },
});
