/** One problem found in a declaration: where, what was received, and how to fix it. */
export interface ValidationIssue {
  /** Dotted path to the bad value, e.g. `domains.payments.intents[3].to`. */
  path: string;
  /** What is wrong, including the bad value. */
  message: string;
  /** How to fix it. */
  fix?: string;
}

/** Formats one issue as a single line: `path: message (fix)`. */
export function formatIssue(issue: ValidationIssue): string {
  return `${issue.path}: ${issue.message}${issue.fix ? ` (${issue.fix})` : ""}`;
}

/**
 * The only error validation throws. It carries every problem found, not just the first,
 * so a user fixes a declaration in one pass.
 */
export class ValidationError extends Error {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], subject = "mesh declaration") {
    const lines = issues.map((i) => `  - ${formatIssue(i)}`);
    super(`invalid ${subject} (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines.join("\n")}`);
    this.name = "ValidationError";
    this.issues = issues;
  }
}

/** Throws a {@link ValidationError} when `issues` is not empty. */
export function throwIfIssues(issues: readonly ValidationIssue[], subject?: string): void {
  if (issues.length > 0) throw new ValidationError(issues, subject);
}
