import { runCli } from "./main.ts";

// Exit explicitly: a collectors.d grandchild that still holds a pipe must not keep the process alive.
const code = await runCli(process.argv.slice(2), { processEntry: true });
process.exit(code);
