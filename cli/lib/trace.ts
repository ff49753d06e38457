/**
 * Timeline of a preview's start-up and analysis, for performance work: with `ZTMESH_TRACE=1`
 * each event is written to stderr as `[ztmesh-trace] <epoch ms> <event>` (wall clock, so lines
 * from the program, the analysis thread and the pack host line up).
 */
const ON = process.env.ZTMESH_TRACE === "1";

/** Records one event of the timeline (nothing unless `ZTMESH_TRACE=1`). */
export function trace(event: string): void {
  if (ON) process.stderr.write(`[ztmesh-trace] ${Date.now()} ${event}\n`);
}
