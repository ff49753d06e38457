import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DomainSpec, type MeshSpec, ValidationError, buildMesh, isDataIntent, validateMesh } from "../../components/model";
import { type GeneratedMesh, arbMesh } from "../fixtures/arbitraries";

const RUNS = { numRuns: 150 };

/** Every path (list of keys) to a value inside `root`, excluding `root` itself. */
function paths(root: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (root === null || typeof root !== "object") return [];
  const entries: [string | number, unknown][] = Array.isArray(root) ? root.map((v, i) => [i, v]) : Object.entries(root);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

/** Replaces (or deletes, for undefined) the value at `path` inside `root`. */
function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = value;
}

/** Runs buildMesh and returns the ValidationError it threw (undefined when it succeeded); rethrows anything else. */
function buildErrors(mesh: unknown, domains: unknown): ValidationError | undefined {
  try {
    buildMesh(mesh as MeshSpec, domains as DomainSpec[]);
    return undefined;
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
}

const garbage = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.anything({ maxDepth: 2, withNullPrototype: true, withObjectString: true }),
  fc.constantFrom("*", "a/b", "eu", "GET", "/", "s3", "aws", "1.0.0"),
);

describe("validateMesh properties", () => {
  it("accepts every generated mesh, and resolves it consistently", () => {
    fc.assert(
      fc.property(arbMesh(), ({ mesh, domains }) => {
        expect(validateMesh(mesh, domains)).toEqual([]);
        const model = buildMesh(mesh, domains);
        const ids = [...model.services.values()].map((s) => s.spiffeId).concat([...model.dataProducts.values()].map((p) => p.proxy.spiffeId));
        expect(new Set(ids).size).toBe(ids.length);
        for (const s of model.services.values()) {
          expect(s.spiffeId).toBe(`spiffe://${mesh.trustDomain}/ns/${s.namespace}/sa/${s.serviceAccount}`);
          expect(model.zones.some((z) => z.id === s.zone)).toBe(true);
        }
        for (const i of model.intents) {
          expect(i.kind === "data" ? model.dataProducts.has(i.to) : model.services.has(i.to)).toBe(true);
          if (i.source.kind === "workload") expect(model.services.get(i.source.key)?.spiffeId).toBe(i.source.spiffeId);
        }
        expect(model.intents).toHaveLength(domains.reduce((n, d) => n + (d.intents?.length ?? 0), 0));
      }),
      RUNS,
    );
  });

  it("generates meshes with every cloud, engine and tier, cross-domain and wildcard intents, and deny rules", () => {
    const samples = fc.sample(arbMesh(), { numRuns: 200, seed: 42 });
    const all = <T>(f: (g: GeneratedMesh) => T[]): Set<T> => new Set(samples.flatMap(f));
    expect(all((g) => g.mesh.zones.map((z) => z.cloud))).toEqual(new Set(["aws", "azure", "gcp", "onprem"]));
    expect(all((g) => g.domains.flatMap((d) => (d.dataProducts ?? []).map((p) => p.engine)))).toEqual(new Set(["postgres", "mysql", "s3", "gcs", "blob"]));
    expect(all((g) => g.domains.flatMap((d) => (d.dataProducts ?? []).map((p) => p.sensitivity)))).toEqual(new Set(["low", "medium", "high"]));
    const intents = samples.flatMap((g) => g.domains.flatMap((d) => d.intents ?? []));
    expect(intents.some((i) => (isDataIntent(i) ? i.data : i.to).includes("/"))).toBe(true);
    expect(intents.some((i) => i.from.includes("/"))).toBe(true);
    expect(intents.some((i) => i.from === "*" && isDataIntent(i))).toBe(true);
    expect(samples.some((g) => (g.mesh.denyRules ?? []).length > 0)).toBe(true);
    expect(samples.some((g) => g.domains.some((d) => (d.denyRules ?? []).length > 0))).toBe(true);
  });

  it("never throws anything but ValidationError on garbage anywhere, and every issue has a path", () => {
    fc.assert(
      fc.property(arbMesh(), fc.nat(), garbage, ({ mesh, domains }, pick, value) => {
        const root = { mesh: structuredClone(mesh), domains: structuredClone(domains) };
        const all = paths(root);
        setAt(root, all[pick % all.length], value);
        const error = buildErrors(root.mesh, root.domains);
        for (const issue of error?.issues ?? []) {
          expect(issue.path).not.toBe("");
          expect(issue.message).not.toBe("");
        }
        expect(validateMesh(root.mesh, root.domains)).toEqual(error?.issues ?? []);
      }),
      { numRuns: 400 },
    );
  });

  it("rejects a referenced service that was dropped", () => {
    fc.assert(
      fc.property(arbMesh(), fc.nat(), ({ mesh, domains }, pick) => {
        const referenced = domains.flatMap((d, di) =>
          (d.intents ?? []).filter((i) => i.from !== "*").map((i) => ({ di, name: i.from.includes("/") ? i.from : `${d.name}/${i.from}` })),
        );
        fc.pre(referenced.length > 0);
        const { name } = referenced[pick % referenced.length];
        const copy = structuredClone(domains);
        const [dom, svc] = name.split("/");
        const owner = copy.find((d) => d.name === dom) as DomainSpec;
        owner.services = owner.services.filter((s) => s.name !== svc);
        const error = buildErrors(mesh, copy);
        expect(error).toBeInstanceOf(ValidationError);
        expect(error?.issues.some((i) => i.message.includes(`unknown service "${svc}"`))).toBe(true);
      }),
      RUNS,
    );
  });

  it("rejects a garbled name and a single policy engine replica", () => {
    fc.assert(
      fc.property(arbMesh(), fc.nat(), fc.constantFrom("_", "A", "-", " "), ({ mesh, domains }, pick, junk) => {
        const copy = structuredClone(domains);
        const services = copy.flatMap((d) => d.services);
        const svc = services[pick % services.length];
        svc.name = `${svc.name}${junk}`;
        expect(buildErrors(mesh, copy)?.issues.some((i) => i.path.endsWith(".name") && i.message.includes(JSON.stringify(svc.name)))).toBe(true);
        const one = buildErrors({ ...mesh, policyEngine: { ...mesh.policyEngine, replicas: 1 } }, domains);
        expect(one?.issues.map((i) => i.path)).toEqual(["mesh.policyEngine.replicas"]);
      }),
      RUNS,
    );
  });

  it("rejects a cross-domain intent once its destination is no longer exported", () => {
    fc.assert(
      fc.property(arbMesh(), fc.nat(), ({ mesh, domains }, pick) => {
        const crossing = domains.flatMap((d) =>
          (d.intents ?? []).flatMap((intent, k) => {
            const to = isDataIntent(intent) ? intent.data : intent.to;
            return to.includes("/") ? [{ path: `domains.${d.name}.intents[${k}].${isDataIntent(intent) ? "data" : "to"}`, to }] : [];
          }),
        );
        fc.pre(crossing.length > 0);
        const { path, to } = crossing[pick % crossing.length];
        const [dom, name] = to.split("/");
        const copy = structuredClone(domains);
        const owner = copy.find((d) => d.name === dom) as DomainSpec;
        owner.exports = (owner.exports ?? []).filter((e) => e !== name);
        const issues = validateMesh(mesh, copy);
        expect(issues.some((i) => i.path === path && i.message.includes("is not exported"))).toBe(true);
      }),
      RUNS,
    );
  });
});
