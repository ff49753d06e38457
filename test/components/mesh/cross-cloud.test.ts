/**
 * The pure planning of cross-cloud data: which identities a domain creates in the accounts of
 * the object stores its workloads use from another cloud, and which OIDC providers the platform
 * creates in AWS accounts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileIam, type IamDocuments } from "../../../components/compile/iam";
import { accountKey, awsOidcProviderArn, awsTrustedIssuers, crossCloudFederations, crossCloudPoolId, crossCloudStoreZones, type ZoneIssuer } from "../../../components/mesh";
import { buildMesh, type DomainSpec, type MeshSpec, type ZoneSpec } from "../../../components/model";
import type { MeshModel, Zone } from "../../../components/model/model";
import { arbMesh } from "../../fixtures/arbitraries";
import { domains, mesh } from "../../fixtures/mesh";

const bucketsOf = (docs: IamDocuments, key: string): string[] =>
  (docs.aws[key]?.policy.Statement ?? []).flatMap((s) => s.Resource).map((r) => /^arn:[a-z-]+:s3:::([^/]+)/.exec(r)![1]);

describe("crossCloudFederations", () => {
  const model = buildMesh(mesh, domains);

  it("plans one identity per consumer zone and store account of another cloud, with only that account's grants", () => {
    const plans = crossCloudFederations(model, "compliance");
    expect(plans.map((p) => [p.sourceZone, p.targetZone, p.cloud, p.workloads.map((w) => w.key)])).toEqual([
      ["azure-eu", "aws-eu", "aws", ["compliance/auditor"]],
      ["azure-eu", "gcp-eu", "gcp", ["compliance/auditor"]],
    ]);
    const [toAws, toGcp] = plans;
    expect(toAws.workloads[0].spiffeId).toBe(model.services.get("compliance/auditor")!.spiffeId);
    expect(bucketsOf(toAws.documents, "compliance/auditor")).toEqual(["trading-trades", "trading-trades"]);
    expect(toAws.documents.gcp).toEqual({});
    expect(toAws.documents.azure).toEqual({});
    expect(toGcp.documents.gcp["compliance/auditor"].bindings.map((b) => [b.product, b.role])).toEqual([["risk/customer-risk", "roles/storage.objectViewer"]]);
    expect(toGcp.documents.aws).toEqual({});
    // Its own blob product is granted by its own zone's federation, not here.
    expect(plans.some((p) => p.cloud === "azure")).toBe(false);
    expect(toAws.intents).toEqual(["compliance#1"]);
    expect(toGcp.intents).toEqual(["compliance#0"]);
    expect(crossCloudStoreZones(model, "compliance")).toEqual(["aws-eu", "gcp-eu"]);
  });

  it("plans nothing for same-cloud consumers, and for other domains only their own workloads", () => {
    expect(crossCloudFederations(model, "trading")).toEqual([]);
    expect(crossCloudFederations(model, "risk").map((p) => [p.sourceZone, p.targetZone, p.workloads.map((w) => w.key)])).toEqual([["gcp-eu", "aws-eu", ["risk/risk-engine"]]]);
  });

  it("shares one identity between two store zones of one account, and splits two accounts of one cloud", () => {
    const three: MeshSpec = {
      ...mesh,
      zones: [
        ...mesh.zones,
        { id: "aws-eu2", cloud: "aws", region: "eu-central-1", failureZones: ["eu-central-1a"], aws: { accountId: "123456789012" } },
        { id: "aws-eu3", cloud: "aws", region: "eu-west-3", failureZones: ["eu-west-3a"], aws: { accountId: "210987654321" } },
      ],
    };
    const product = (name: string, zone: string) => ({ name, zone, engine: "s3" as const, sensitivity: "low" as const, owner: "o@acme.example", residency: "eu", schemaVersion: "1.0.0" });
    const store: DomainSpec = { name: "store", owner: "o@acme.example", services: [], dataProducts: [product("one", "aws-eu2"), product("two", "aws-eu3")], exports: ["one", "two"] };
    const reader: DomainSpec = {
      name: "reader",
      owner: "o@acme.example",
      services: [{ name: "dc-job", zone: "dc-eu", ports: [{ port: 8080 }] }, { name: "az-job", zone: "azure-eu", ports: [{ port: 8080 }] }],
      intents: [
        { from: "az-job", data: "trading/trades" },
        { from: "az-job", data: "store/one" },
        { from: "az-job", data: "store/two" },
        { from: "dc-job", data: "store/two", access: ["write"] },
      ],
    };
    const m = buildMesh(three, [...domains, store, reader]);
    const plans = crossCloudFederations(m, "reader");
    expect(plans.map((p) => [p.sourceZone, p.targetZone, p.targetZones, p.workloads.map((w) => w.key)])).toEqual([
      ["azure-eu", "aws-eu", ["aws-eu", "aws-eu2"], ["reader/az-job"]],
      ["azure-eu", "aws-eu3", ["aws-eu3"], ["reader/az-job"]],
      // On-prem consumers are federated the same way, to their own zone's issuer.
      ["dc-eu", "aws-eu3", ["aws-eu3"], ["reader/dc-job"]],
    ]);
    expect(new Set(bucketsOf(plans[0].documents, "reader/az-job"))).toEqual(new Set(["trading-trades", "store-one"]));
    expect(new Set(bucketsOf(plans[1].documents, "reader/az-job"))).toEqual(new Set(["store-two"]));
    expect(plans[2].documents.aws["reader/dc-job"].policy.Statement.map((s) => s.Action)).toEqual([["s3:PutObject"]]);
    expect(crossCloudStoreZones(m, "reader")).toEqual(["aws-eu", "aws-eu2", "aws-eu3"]);
  });

  it("derives a valid GCP pool id per consumer zone and domain, distinct from the zone pools", () => {
    expect(crossCloudPoolId("azure-eu", "compliance")).toBe("ztmesh-azure-eu-compliance");
    const long = crossCloudPoolId("a-very-long-on-prem-zone-name", "a-very-long-domain-name");
    expect(long).toMatch(/^[a-z0-9-]{4,32}$/);
    expect(long).not.toBe(crossCloudPoolId("a-very-long-on-prem-zone-name", "a-very-long-domain-namf"));
  });
});

/** A generated mesh where some AWS zones share an account and some GCP zones a project. */
const arbSharedAccounts = arbMesh().chain((g) =>
  fc.array(fc.boolean(), { minLength: g.mesh.zones.length, maxLength: g.mesh.zones.length }).map((share) => {
    const firstOf = (cloud: string) => g.mesh.zones.find((z) => z.cloud === cloud);
    const zones = g.mesh.zones.map((z, i): ZoneSpec => {
      const first = firstOf(z.cloud);
      if (!share[i] || !first || first === z) return z;
      if (z.cloud === "aws") return { ...z, aws: { ...first.aws! } };
      if (z.cloud === "gcp") return { ...z, gcp: { ...first.gcp! } };
      return z;
    });
    return { mesh: { ...g.mesh, zones }, domains: g.domains };
  }),
);

const productZone = (m: MeshModel, key: string): Zone => m.zones.find((z) => z.id === m.dataProducts.get(key)!.zone)!;
const s3Zone = (m: MeshModel, bucket: string): string => [...m.dataProducts.values()].find((p) => p.engine === "s3" && p.location === bucket)!.zone;

describe("crossCloudFederations (properties)", () => {
  it("covers exactly every cross-cloud grant of the domain's workloads, once per consumer zone and store account", () => {
    fc.assert(
      fc.property(arbSharedAccounts, ({ mesh: spec, domains: ds }) => {
        const m = buildMesh(spec, ds);
        const all = compileIam(m);
        const zoneOf = (id: string) => m.zones.find((z) => z.id === id)!;
        for (const d of ds) {
          const plans = crossCloudFederations(m, d.name);
          const seen = new Set<string>();
          for (const p of plans) {
            const target = zoneOf(p.targetZone);
            // One plan per (consumer zone, account); its zones share the account and its cloud.
            const id = `${p.sourceZone}|${accountKey(target)}`;
            expect(seen.has(id)).toBe(false);
            seen.add(id);
            expect(p.targetZones[0]).toBe(p.targetZone);
            for (const t of p.targetZones) expect(accountKey(zoneOf(t))).toBe(accountKey(target));
            expect(zoneOf(p.sourceZone).cloud).not.toBe(p.cloud);
            expect(target.cloud).toBe(p.cloud);
            for (const w of p.workloads) {
              const svc = m.services.get(w.key)!;
              expect([svc.domain, svc.zone, svc.spiffeId]).toEqual([d.name, p.sourceZone, w.spiffeId]);
            }
            // Only grants of the plan's cloud, on products of its zones.
            for (const c of ["aws", "azure", "gcp"] as const) if (c !== p.cloud) expect(p.documents[c]).toEqual({});
            for (const doc of Object.values(p.documents.aws)) for (const s of doc.policy.Statement) for (const r of s.Resource) expect(p.targetZones).toContain(s3Zone(m, /^arn:[a-z-]+:s3:::([^/]+)/.exec(r)![1]));
            for (const doc of Object.values(p.documents.gcp)) for (const b of doc.bindings) expect(p.targetZones).toContain(productZone(m, b.product).id);
            for (const doc of Object.values(p.documents.azure)) for (const a of doc.roleAssignments) expect(p.targetZones).toContain(productZone(m, a.product).id);
            expect(crossCloudPoolId(p.sourceZone, d.name)).toMatch(/^(?!gcp-)[a-z0-9-]{4,32}$/);
          }
          // Complete: every grant of a workload of the domain in another cloud is in exactly one plan.
          for (const svc of [...m.services.values()].filter((s) => s.domain === d.name)) {
            const home = zoneOf(svc.zone).cloud;
            for (const c of ["aws", "azure", "gcp"] as const) {
              if (c === home) continue;
              const mine = plans.filter((p) => p.cloud === c && p.workloads.some((w) => w.key === svc.key));
              const grants = (docs: IamDocuments): string[] =>
                c === "aws"
                  ? (docs.aws[svc.key]?.policy.Statement ?? []).map((s) => `${s.Action.join()} ${s.Resource.join()}`)
                  : c === "gcp"
                    ? (docs.gcp[svc.key]?.bindings ?? []).map((b) => `${b.role} ${b.bucket}`)
                    : (docs.azure[svc.key]?.roleAssignments ?? []).map((a) => `${a.roleDefinitionId} ${a.scope}`);
              expect(mine.flatMap((p) => grants(p.documents)).sort()).toEqual(grants(all).sort());
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("awsTrustedIssuers", () => {
  const zone = (id: string, cloud: Zone["cloud"], account?: string): Zone => ({ id, cloud, region: "r", failureZones: ["a"], ...(account ? { aws: { accountId: account } } : {}) });
  const issuer = (z: Zone, logStoreZone?: string): ZoneIssuer => ({ zone: z, issuerUrl: `https://oidc.${z.id}.mesh.example`, ...(logStoreZone ? { logStoreZone } : {}) });
  const A = "111111111111";
  const B = "222222222222";
  const zones = [issuer(zone("aws-a1", "aws", A)), issuer(zone("aws-a2", "aws", A)), issuer(zone("aws-b", "aws", B)), issuer(zone("gcp", "gcp")), issuer(zone("dc", "onprem"), "aws-a2")];

  it("trusts every other zone's issuer once per AWS account, skipping the account's own zones' issuers", () => {
    const list = awsTrustedIssuers(zones);
    expect(list.map((t) => [t.sourceZone, t.hostZone])).toEqual([
      ["aws-a1", "aws-b"],
      ["aws-a2", "aws-b"],
      ["aws-b", "aws-a1"],
      ["gcp", "aws-a1"],
      ["gcp", "aws-b"],
      // The on-prem zone's provider stays with its log store zone, where it was created before.
      ["dc", "aws-a2"],
      ["dc", "aws-b"],
    ]);
    const dc = list.find((t) => t.sourceZone === "dc" && t.hostZone === "aws-a2")!;
    expect(dc.arn).toBe(`arn:aws:iam::${A}:oidc-provider/oidc.dc.mesh.example`);
    expect(dc.arn).toBe(awsOidcProviderArn(zones[1].zone, "https://oidc.dc.mesh.example/"));
  });

  it("is unique per account and URL and, with the zones' own providers, complete (property)", () => {
    const arbZones = fc
      .array(fc.record({ cloud: fc.constantFrom<Zone["cloud"]>("aws", "aws", "gcp", "azure", "onprem"), account: fc.constantFrom(A, B, "333333333333"), log: fc.nat() }), { minLength: 1, maxLength: 8 })
      .map((raw) => {
        const zs = raw.map((r, i) => zone(`z${i}`, r.cloud, r.cloud === "aws" ? r.account : undefined));
        return zs.map((z, i) => issuer(z, raw[i].cloud === "onprem" ? zs[raw[i].log % zs.length].id : undefined));
      });
    fc.assert(
      fc.property(arbZones, (list) => {
        const planned = awsTrustedIssuers(list);
        const key = (account: string | undefined, url: string) => `${account}|${url}`;
        const own = new Set(list.filter((z) => z.zone.cloud === "aws").map((z) => key(z.zone.aws?.accountId, z.issuerUrl)));
        const keys = planned.map((t) => key(list.find((z) => z.zone.id === t.hostZone)!.zone.aws?.accountId, t.issuerUrl));
        expect(new Set(keys).size).toBe(keys.length);
        for (const k of keys) expect(own.has(k)).toBe(false);
        for (const t of planned) expect(list.find((z) => z.zone.id === t.hostZone)!.zone.cloud).toBe("aws");
        const accounts = new Set(list.filter((z) => z.zone.cloud === "aws").map((z) => z.zone.aws?.accountId));
        for (const account of accounts) for (const z of list) expect(own.has(key(account, z.issuerUrl)) || keys.includes(key(account, z.issuerUrl))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
