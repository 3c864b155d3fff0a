import type { Context } from "../context.ts";
import { BagtowerError, ConfigError } from "../errors.ts";

/** The user's crontab through the real `crontab` program (its locking and validation included). */
export interface Crontab {
  read(): string;
  write(text: string): void;
}

const _HOW_TO_INSTALL = "no crontab program found on PATH: install cron (Debian/Ubuntu: apt-get install cron; Fedora: dnf install cronie; Alpine: apk add cronie) and try again";

export function openCrontab(ctx: Context): Crontab {
  const program = Bun.which("crontab", { PATH: ctx.env.PATH ?? "/usr/bin:/bin" });
  if (!program) throw new ConfigError(_HOW_TO_INSTALL);
  const env = { PATH: ctx.env.PATH, HOME: ctx.env.HOME, LOGNAME: ctx.env.LOGNAME, USER: ctx.env.USER };
  return {
    read() {
      const result = Bun.spawnSync([program, "-l"], { env, stdout: "pipe", stderr: "pipe" });
      const stderr = result.stderr.toString();
      // "no crontab for <user>" is an empty crontab, not an error.
      if (result.exitCode !== 0) {
        if (/no crontab/i.test(stderr)) return "";
        throw new BagtowerError(`crontab -l failed: ${stderr.trim() || `exit ${result.exitCode}`}`);
      }
      return result.stdout.toString();
    },
    write(text) {
      const result = Bun.spawnSync([program, "-"], { env, stdin: Buffer.from(text), stdout: "pipe", stderr: "pipe" });
      if (result.exitCode !== 0) throw new BagtowerError(`crontab refused the new table: ${result.stderr.toString().trim() || `exit ${result.exitCode}`}`);
    },
  };
}
