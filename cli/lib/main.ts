/** Shared entry point of the commands: exit codes and one-line errors. */
import { EXIT, UsageError } from "./errors";

/** Runs a command; its result is the exit code. Broken input prints one line and exits 2. */
export function runMain(command: (argv: string[]) => Promise<number>): void {
  command(process.argv.slice(2)).then(
    (code) => {
      // Exit explicitly: the runtime and gRPC may keep handles open after the work is done.
      process.stdout.write("", () => process.exit(code));
    },
    (err: unknown) => {
      const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!usage && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      process.stdout.write("", () => process.exit(EXIT.broken));
    },
  );
}
