/**
 * The policy tests' harness: the API of policy-harness.ts (`PackSession.start()`, `run`,
 * `violationsOf`, `stop`, `policies`) with the pack's analyzer service called in this process
 * (in-process-analyzer.ts) instead of through the policy-pack host and a socket. The requests
 * are built by the same client code (cli/lib/analyzer.ts: config resolution and validation,
 * Remediate then Analyze per resource, one AnalyzeStack) and answered by `@pulumi/policy`'s
 * own service code, so results are the host's; test/policy-packs/protocol.test.ts checks that
 * both paths agree.
 *
 *   const pack = await PackSession.start();        // once per test file (beforeAll)
 *   const v = await pack.run([res("aws:iam/policy:Policy", "p", { policy: "..." })]);
 *   pack.stop();                                    // afterAll
 */
import * as path from "node:path";
import { PolicyPackProcess } from "../../cli/lib/analyzer";
import { DEFAULT_POLICY_PACK } from "../../cli/lib/packs";
import { inProcessAnalyzer } from "./in-process-analyzer";
import { PackSession as Session } from "./policy-harness";

export { UNKNOWN, res, secret, type TestResource, type Violation } from "./policy-harness";

export type PackSession = Session;

export const PackSession = {
  /** Loads a pack (default: the zero-trust pack) into this process, once per pack (see in-process-analyzer.ts). */
  async start(dir: string = DEFAULT_POLICY_PACK): Promise<Session> {
    return Session.over(PolicyPackProcess.inProcess(path.resolve(dir), inProcessAnalyzer(dir)));
  },
};
