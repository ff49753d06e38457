/**
 * `npm run trace -- --export FILE [--export FILE]... --from SOURCE --to DEST [--method M] [--path P]
 *    [--access read|write] [--json]`
 *
 * Follows one request through the artifacts of a whole mesh (the `pulumi stack export` files of
 * the platform and every domain stack), hop by hop, with the rule that decided each hop.
 * SOURCE: `<domain>/<service>`, a SPIFFE ID (a caller outside the mesh, entering at the
 * destination zone's gateway) or `none` (no client certificate). DEST:
 * `<domain>/<service-or-data-product>` or `host[:port]`. Exit 0 delivered, 1 stopped, 2 bad input.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./lib/errors";
import { runMain } from "./lib/main";
import { runCheck, runTrace } from "./lib/path-trace";

/** Runs `trace` with its arguments; resolves to the exit code. */
export async function trace(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      export: { type: "string", multiple: true },
      from: { type: "string" },
      to: { type: "string" },
      method: { type: "string" },
      path: { type: "string" },
      access: { type: "string" },
      json: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const usage = "usage: trace --export FILE [--export FILE]... (--check | --from <domain>/<service>|spiffe://...|none --to <domain>/<name>|host[:port] [--method M] [--path P] [--access read|write]) [--json]";
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (export files go after --export); ${usage}`);
  if (values.check) return runCheck({ exports: values.export ?? [], json: values.json });
  if (!values.from) throw new UsageError(`--from is required (e.g. --from trading/order-gateway); ${usage}`);
  if (!values.to) throw new UsageError(`--to is required (e.g. --to trading/matching-engine); ${usage}`);
  return runTrace({ exports: values.export ?? [], from: values.from, to: values.to, method: values.method, path: values.path, access: values.access, json: values.json });
}

if (require.main === module) runMain(trace);
