/** Helpers shared by the policy tests (the harness itself lives in test/helpers). */
import type { Violation } from "../helpers/policy-harness";

/** The violation's own message: the analyzer prefixes it with the policy description and a newline. */
export function own(v: Violation): string {
  const i = v.message.indexOf("\n");
  return i < 0 ? v.message : v.message.slice(i + 1);
}

/** Own messages of every violation. */
export function messages(vs: Violation[]): string[] {
  return vs.map(own);
}

/** The resource names the violations are reported on. */
export function names(vs: Violation[]): string[] {
  return vs.map((v) => v.urn.split("::").pop() ?? "");
}
