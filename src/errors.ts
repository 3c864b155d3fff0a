/** Exit codes of SPEC §1. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** A run delivered what it could but a server refused some records for good (they are in rejected/). */
  dataErr: 65,
  tempFail: 75,
  config: 78,
} as const;

/**
 * When one run has several outcomes (one per sink), the code that needs a person most wins:
 * a wrong configuration (78) over refused records (65) over records left for a later run (75).
 */
export function worstExitCode(codes: number[]): number {
  const rank = (code: number) => [ExitCode.ok, ExitCode.tempFail, ExitCode.dataErr, ExitCode.config].indexOf(code as never);
  return codes.reduce((worst, code) => (rank(code) > rank(worst) ? code : worst), ExitCode.ok as number);
}

/** An expected failure: one line for the user, an exit code, and an optional cause for --verbose. */
export class BagtowerError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BagtowerError";
    this.exitCode = exitCode;
  }
}

export class UsageError extends BagtowerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
    this.name = "UsageError";
  }
}

export class ConfigError extends BagtowerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.config, options);
    this.name = "ConfigError";
  }
}

export class TempFailError extends BagtowerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.tempFail, options);
    this.name = "TempFailError";
  }
}

/** The message of anything thrown, for error entries and log lines. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
