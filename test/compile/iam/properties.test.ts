import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { azureBlobTarget, checkAwsPolicyDocument, compileIam, wildcardIssues } from "../../../components/compile/iam";
import { type MeshModel, buildMesh } from "../../../components/model";
import { arbMesh } from "../../fixtures/arbitraries";

/** The grants the intents imply, as `cloud|workload|resource|permission` lines (an independent oracle). */
function expectedGrants(model: MeshModel): string[] {
  const access = new Map<string, Set<string>>(); // `${workload}|${product}` -> access
  for (const i of model.intents) {
    if (i.kind !== "data") continue;
    const sources = i.source.kind === "any" ? [...model.services.keys()] : [i.source.key];
    for (const s of sources) {
      const k = `${s}|${i.to}`;
      access.set(k, new Set([...(access.get(k) ?? []), ...i.access]));
    }
  }
  const out: string[] = [];
  for (const [k, acc] of access) {
    const [w, productKey] = k.split("|");
    const p = model.dataProducts.get(productKey)!;
    const zone = model.zones.find((z) => z.id === p.zone)!;
    if (p.engine === "s3") {
      const arn = `arn:${zone.aws?.partition ?? "aws"}:s3:::${p.location}`;
      if (acc.has("read")) out.push(`aws|${w}|${arn}/*|s3:GetObject`, `aws|${w}|${arn}|s3:ListBucket`);
      if (acc.has("write")) out.push(`aws|${w}|${arn}/*|s3:PutObject`);
    } else if (p.engine === "gcs") {
      if (acc.has("read")) out.push(`gcp|${w}|${p.location}|roles/storage.objectViewer`);
      if (acc.has("write")) out.push(`gcp|${w}|${p.location}|roles/storage.objectCreator`);
    } else if (p.engine === "blob") {
      const { container } = azureBlobTarget(p);
      out.push(`azure|${w}|${container}|${acc.has("write") ? "Storage Blob Data Contributor" : "Storage Blob Data Reader"}`);
    }
  }
  return [...new Set(out)].sort();
}

/** The grants the compiled documents contain, in the same line format. */
function actualGrants(model: MeshModel): string[] {
  const docs = compileIam(model);
  const out: string[] = [];
  for (const [w, e] of Object.entries(docs.aws)) {
    for (const s of e.policy.Statement) for (const a of s.Action) for (const r of s.Resource) out.push(`aws|${w}|${r}|${a}`);
  }
  for (const [w, e] of Object.entries(docs.gcp)) for (const b of e.bindings) out.push(`gcp|${w}|${b.bucket}|${b.role}`);
  for (const [w, e] of Object.entries(docs.azure)) {
    for (const r of e.roleAssignments) out.push(`azure|${w}|${r.scope.split("/containers/")[1]}|${r.roleDefinitionName}`);
  }
  return [...new Set(out)].sort();
}

describe("compileIam properties", () => {
  it("grants exactly what the object-store data intents imply, and nothing without an intent", () => {
    fc.assert(
      fc.property(arbMesh(), ({ mesh, domains }) => {
        const model = buildMesh(mesh, domains);
        expect(actualGrants(model)).toEqual(expectedGrants(model));
      }),
      { numRuns: 100 },
    );
  });

  it("every AWS document is well-formed, wildcard-free, with unique Sids; output is deterministic", () => {
    fc.assert(
      fc.property(arbMesh(), ({ mesh, domains }) => {
        const model = buildMesh(mesh, domains);
        const docs = compileIam(model);
        for (const e of Object.values(docs.aws)) {
          expect(checkAwsPolicyDocument(e.policy)).toEqual([]);
          expect(wildcardIssues(e.policy)).toEqual([]);
          const sids = e.policy.Statement.map((s) => s.Sid);
          expect(new Set(sids).size).toBe(sids.length);
        }
        for (const cloud of ["aws", "azure", "gcp"] as const) {
          const keys = Object.keys(docs[cloud]);
          expect(keys).toEqual([...keys].sort());
          for (const k of keys) expect(model.services.has(k)).toBe(true);
        }
        expect(JSON.stringify(compileIam(buildMesh(mesh, domains)))).toBe(JSON.stringify(docs));
      }),
      { numRuns: 60 },
    );
  });
});
