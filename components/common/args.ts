/**
 * Eager validation of component arguments: plain values are checked before any resource
 * is created, and every problem is reported at once with the argument, the value and the fix.
 */
import { ValidationError, type ValidationIssue } from "../model/errors";

/** Collects argument problems for one component instance. */
export class ArgChecker {
  readonly issues: ValidationIssue[] = [];

  constructor(
    private readonly component: string,
    private readonly name: string,
  ) {}

  /** Records a problem with `args.<path>` unless `ok`. */
  check(ok: boolean, path: string, message: string, fix?: string): this {
    if (!ok) this.issues.push({ path: `args.${path}`, message, fix });
    return this;
  }

  /** Adds problems found by a shared validator, prefixing their paths with `args.` */
  add(issues: readonly ValidationIssue[]): this {
    for (const i of issues) this.issues.push({ ...i, path: i.path.startsWith("args.") ? i.path : `args.${i.path}` });
    return this;
  }

  /** Throws a {@link ValidationError} naming the component when anything was recorded. */
  done(): void {
    if (this.issues.length > 0) throw new ValidationError(this.issues, `${this.component} "${this.name}" arguments`);
  }
}

/** Quotes a value for an error message. */
export function show(v: unknown): string {
  return v === undefined ? "undefined" : JSON.stringify(v);
}
