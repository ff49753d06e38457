/** Human output of a trace: one line per hop with the deciding rule, then the outcome. */
import type { TraceResult } from "./types";

const MARK = { pass: "ok  ", stop: "STOP", info: "    " } as const;

/** Formats a trace for a terminal. */
export function formatTrace(result: TraceResult): string {
  const lines = result.hops.map((h, i) => `${String(i + 1).padStart(2)}. ${MARK[h.verdict]} ${h.kind.padEnd(14)} [${h.at}] ${h.rule}`);
  const last = result.hops[result.hops.length - 1];
  lines.push("");
  lines.push(result.delivered ? `DELIVERED to ${result.deliveredTo?.workload ?? result.deliveredTo?.proxy ?? ""} ${result.deliveredTo?.address ?? ""}`.replace(/\s+/g, " ").trim() : `STOPPED at ${last?.kind ?? "?"} [${last?.at ?? "?"}]: ${last?.rule ?? "no hops"}`);
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}
