/** Errors of the offline commands, each mapped to an exit code. */

/** Broken arguments, files or programs: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit codes shared by `preview`, `audit` and `bench`. */
export const EXIT = { clean: 0, mandatoryViolation: 1, broken: 2 } as const;
