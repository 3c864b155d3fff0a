// GET /api/install: what the dashboard's "Add a device" command is made of. The ingest key only for
// an admin; the read token (as the installer URL's ?token=) only for a viewer who proved a token or
// a session, so a loopback or --public-read viewer learns no secret from it.
import { VERSION } from "../version.ts";

export interface InstallInfoInput {
  base: string;
  readToken?: string;
  ingestKey?: string;
  publicRead: boolean;
  downloads: string[];
}

export function installCommandInfo(input: InstallInfoInput) {
  const token = input.readToken ? `?token=${encodeURIComponent(input.readToken)}` : "";
  return {
    /** The receiver's own version: devices with an older agent are marked on the fleet page. */
    version: VERSION,
    serverUrl: input.base,
    installUrl: `${input.base}/install.sh${token}`,
    ingestKey: input.ingestKey ?? null,
    /** Whether other hosts need the read token to download (no --public-read), and whether installUrl has it. */
    tokenNeeded: !input.publicRead,
    tokenIncluded: token !== "",
    /** The release files /download/ has (the installer picks the device's own). */
    downloads: input.downloads,
  };
}
