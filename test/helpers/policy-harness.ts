/**
 * Runs policies through the same path the preview uses: the pack started by the real
 * policy-pack host and driven over the analyzer gRPC protocol (Configure, Remediate +
 * Analyze per resource on inputs, AnalyzeStack on outputs and the graph). The policy tests
 * use the same session in-process (policy-inprocess.ts, same API); this one is for the tests
 * where the host and the protocol are the point (test/policy-packs/protocol.test.ts, test/cli).
 *
 *   const pack = await PackSession.start();        // once per test file (beforeAll)
 *   const v = await pack.run([res("aws:iam/policy:Policy", "p", { policy: "..." })]);
 *   pack.stop();                                    // afterAll
 */
import * as path from "node:path";
import { type AnalyzedResource, type PolicyConfigFile, type PolicyInfo, PolicyPackProcess, toViolation, type Violation } from "../../cli/lib/analyzer";
import { DEFAULT_POLICY_PACK } from "../../cli/lib/packs";
import { type PropertyMap, SECRET_SIG, SPECIAL_SIG_KEY, UNKNOWN } from "../../cli/lib/properties";

export { UNKNOWN };
export type { Violation };

/** A secret value in wire form. */
export function secret(value: unknown): PropertyMap {
  return { [SPECIAL_SIG_KEY]: SECRET_SIG, value: value as PropertyMap };
}

export interface TestResource {
  type: string;
  name: string;
  /** Inputs (what resource policies see). */
  inputs: Record<string, unknown>;
  /** Outputs (what stack policies see). @default the inputs */
  outputs?: Record<string, unknown>;
  /** Parent resource name (in the same run). */
  parent?: string;
  /** Names of resources this one depends on. */
  dependsOn?: string[];
  /** Name of the explicit provider (a `pulumi:providers:*` resource in the same run). */
  provider?: string;
}

/** Shorthand for a test resource whose outputs equal its inputs. */
export function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<TestResource> = {}): TestResource {
  return { type, name, inputs, ...extra };
}

const STACK = "test";
const PROJECT = "policy-tests";

function urnOf(type: string, name: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
}

function clean(v: unknown): PropertyMap {
  return JSON.parse(JSON.stringify(v ?? {})) as PropertyMap;
}

export class PackSession {
  private constructor(
    private readonly pack: PolicyPackProcess,
    readonly policies: PolicyInfo[],
  ) {}

  /** Starts a pack (default: the zero-trust pack) through the real policy-pack host. */
  static async start(dir: string = DEFAULT_POLICY_PACK): Promise<PackSession> {
    return PackSession.over(await PolicyPackProcess.start(path.resolve(dir)));
  }

  /** A session over a pack already started (see policy-inprocess.ts for the in-process one). */
  static async over(pack: PolicyPackProcess): Promise<PackSession> {
    const info = await pack.info();
    return new PackSession(pack, info.policies);
  }

  /** Analyzes the resources as one stack and returns every violation. */
  async run(resources: TestResource[], opts: { config?: PolicyConfigFile; dryRun?: boolean } = {}): Promise<Violation[]> {
    await this.pack.configure(this.policies, opts.config ?? {});
    await this.pack.configureStack(PROJECT, STACK, opts.dryRun ?? true);
    const urns = new Map(resources.map((r) => [r.name, urnOf(r.type, r.name)]));
    const analyzed: AnalyzedResource[] = resources.map((r) => ({
      urn: urnOf(r.type, r.name),
      type: r.type,
      name: r.name,
      parent: r.parent ? urns.get(r.parent) : undefined,
      dependencies: (r.dependsOn ?? []).map((d) => urns.get(d) ?? d),
      provider: r.provider ? `${urns.get(r.provider) ?? r.provider}::${r.provider}-id` : undefined,
      propertyDependencies: {},
      rawInputs: clean(r.inputs),
      rawOutputs: clean(r.outputs ?? r.inputs),
    }));
    const out: Violation[] = [];
    for (const r of analyzed) for (const d of await this.pack.analyze(r)) out.push(toViolation(d, r.urn));
    for (const d of await this.pack.analyzeStack(analyzed)) out.push(toViolation(d, ""));
    return out;
  }

  /** Violations of one policy only. */
  async violationsOf(policy: string, resources: TestResource[], opts: { config?: PolicyConfigFile; dryRun?: boolean } = {}): Promise<Violation[]> {
    return (await this.run(resources, opts)).filter((v) => v.policy === policy);
  }

  stop(): void {
    this.pack.stop();
  }
}
