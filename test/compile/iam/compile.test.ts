import { describe, expect, it } from "vitest";
import {
  AZURE_BLOB_ROLES,
  GCP_SERVICE_ACCOUNT_ID,
  azureBlobTarget,
  awsRoleName,
  azureIdentityName,
  checkAwsPolicyDocument,
  compileIam,
  gcpServiceAccountId,
  s3Statements,
  stableHash,
  wildcardIssues,
} from "../../../components/compile/iam";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const model = buildMesh(mesh, domains);
const docs = compileIam(model);

describe("compileIam (fixture)", () => {
  it("keys each cloud by workload, only where a grant exists", () => {
    expect(Object.keys(docs.aws)).toEqual(["compliance/auditor", "risk/risk-engine", "trading/matching"]);
    expect(Object.keys(docs.azure)).toEqual(["compliance/auditor"]);
    expect(Object.keys(docs.gcp)).toEqual(["compliance/auditor", "risk/risk-engine"]);
  });

  it("grants read and write on s3 as GetObject+ListBucket and PutObject", () => {
    expect(docs.aws["trading/matching"]).toEqual({
      workload: "trading/matching",
      spiffeId: "spiffe://mesh.acme.example/ns/trading/sa/matching",
      roleName: "ztmesh-trading-matching",
      policy: {
        Version: "2012-10-17",
        Statement: [
          { Sid: "TradingTradesReadObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::trading-trades/*"] },
          { Sid: "TradingTradesListBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::trading-trades"] },
          { Sid: "TradingTradesWriteObjects", Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::trading-trades/*"] },
        ],
      },
    });
    expect(docs.aws["risk/risk-engine"].policy.Statement.map((s) => s.Action[0])).toEqual(["s3:GetObject", "s3:ListBucket"]);
  });

  it("scopes Azure roles to the container, Contributor for write", () => {
    const { account } = azureBlobTarget(model.dataProducts.get("compliance/findings")!);
    expect(docs.azure["compliance/auditor"].roleAssignments).toEqual([
      {
        product: "compliance/findings",
        roleDefinitionName: "Storage Blob Data Contributor",
        roleDefinitionGuid: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        roleDefinitionId:
          "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        scope:
          "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/mesh-compliance/providers/Microsoft.Storage/" +
          `storageAccounts/${account}/blobServices/default/containers/compliance-findings`,
      },
    ]);
    expect(AZURE_BLOB_ROLES["Storage Blob Data Reader"]).toBe("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");
  });

  it("binds objectViewer/objectCreator on the GCS bucket", () => {
    expect(docs.gcp["risk/risk-engine"].bindings.map((b) => b.role)).toEqual(["roles/storage.objectViewer", "roles/storage.objectCreator"]);
    expect(docs.gcp["compliance/auditor"].bindings).toEqual([
      {
        product: "risk/customer-risk",
        role: "roles/storage.objectViewer",
        bucket: "risk-customer-risk",
        resource: "//storage.googleapis.com/projects/_/buckets/risk-customer-risk",
      },
    ]);
  });

  it("gives databases no cloud IAM", () => {
    const all = JSON.stringify(docs);
    expect(all).not.toContain("risk-db");
  });

  it("uses the zone's partition", () => {
    const trades = model.dataProducts.get("trading/trades")!;
    expect(s3Statements(trades, "aws-cn", ["read"])[0].Resource).toEqual(["arn:aws-cn:s3:::trading-trades/*"]);
  });

  it("every AWS document passes the grammar checker and has no wildcard", () => {
    for (const entry of Object.values(docs.aws)) {
      expect(checkAwsPolicyDocument(entry.policy)).toEqual([]);
      expect(wildcardIssues(entry.policy)).toEqual([]);
      expect(checkAwsPolicyDocument(JSON.stringify(entry.policy))).toEqual([]);
    }
  });

  it("is deterministic", () => {
    expect(JSON.stringify(compileIam(buildMesh(mesh, domains)))).toBe(JSON.stringify(docs));
  });
});

describe("identity names", () => {
  const w = (domain: string, name: string) => ({ domain, name });

  it("derives readable names when they fit", () => {
    expect(awsRoleName(w("trading", "matching"))).toBe("ztmesh-trading-matching");
    expect(gcpServiceAccountId(w("trading", "matching"))).toBe("trading-matching");
    expect(azureIdentityName(w("trading", "matching"))).toBe("ztmesh-trading-matching");
  });

  it("truncates with a stable hash, keeping names valid and distinct", () => {
    const long1 = w("a".repeat(40), `${"b".repeat(50)}-x`);
    const long2 = w("a".repeat(40), `${"b".repeat(50)}-y`);
    for (const f of [awsRoleName, gcpServiceAccountId, azureIdentityName]) {
      expect(f(long1)).not.toBe(f(long2));
      expect(f(long1)).toBe(f({ ...long1 }));
    }
    expect(awsRoleName(long1).length).toBeLessThanOrEqual(64);
    expect(awsRoleName(long1)).toMatch(/^[\w+=,.@-]+$/);
    expect(azureIdentityName(w("d".repeat(63), "n".repeat(63))).length).toBeLessThanOrEqual(128);
    for (const x of [long1, w("a", "b"), w("1st", "api"), w("abcdefghijklmno", "pqrstuvwxyz0123-")]) {
      expect(gcpServiceAccountId(x)).toMatch(GCP_SERVICE_ACCOUNT_ID);
    }
  });

  it("derives a valid Azure storage account unless location names one", () => {
    expect(azureBlobTarget({ key: "c/f", location: "acct1/box" })).toEqual({ account: "acct1", container: "box" });
    const t = azureBlobTarget({ key: "compliance/findings", location: "compliance-findings" });
    expect(t.account).toMatch(/^[a-z0-9]{3,24}$/);
    expect(t).toEqual({ account: `compliancefindin${stableHash("compliance/findings")}`, container: "compliance-findings" });
  });
});
