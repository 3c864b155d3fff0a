import { join } from "node:path";

/** Every file bagtower keeps, derived from one home directory (SPEC §2). */
export interface HomePaths {
  home: string;
  bin: string;
  config: string;
  machineId: string;
  staticMachineId: string;
  state: string;
  spool: string;
  collectors: string;
  log: string;
}

export function homePaths(home: string, configFile?: string): HomePaths {
  return {
    home,
    bin: join(home, "bin", "bagtower"),
    config: configFile ?? join(home, "config.json"),
    machineId: join(home, "machine-id"),
    staticMachineId: join(home, "opt-in-static-machine-id"),
    state: join(home, "state"),
    spool: join(home, "spool"),
    collectors: join(home, "collectors.d"),
    log: join(home, "log", "bagtower.log"),
  };
}
