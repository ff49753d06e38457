import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PackSession, UNKNOWN, res } from "../helpers/policy-inprocess";
import { messages } from "./support";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

const P = "data-product-declaration";
const TD = "spiffe://mesh.acme.example";
const product = (over: Record<string, unknown> = {}) => ({
  name: "positions",
  domain: "trading",
  owner: "trading-data@acme.example",
  sensitivity: "high",
  residency: "eu",
  zone: "aws-eu",
  region: "eu-central-1",
  consumers: [`${TD}/ns/risk/sa/risk-engine`],
  ...over,
});
const cm = (json: unknown, name = "dp") =>
  res("kubernetes:core/v1:ConfigMap", name, {
    metadata: { name, labels: { "ztmesh.io/role": "data-product" } },
    data: { "product.json": typeof json === "string" ? json : JSON.stringify(json) },
  });

describe(P, () => {
  it("passes complete declarations in AWS, GCP, Azure and on-prem regions", async () => {
    const v = await pack.violationsOf(P, [
      cm(product()),
      cm(product({ region: "europe-west3" }), "gcp"),
      cm(product({ region: "germanywestcentral", cloud: "azure" }), "azure"),
      cm(product({ region: "eu-frankfurt-dc1" }), "onprem"),
      cm(product({ sensitivity: "low", consumers: ["*"] }), "open"),
      cm(product({ consumers: [], policyManifest: "bundles/trading/positions.rego" }), "manifest"),
    ]);
    expect(v).toEqual([]);
  });

  it.each([
    ["no owner", { owner: " " }, 'Data product "positions" has no owner; name the accountable team.'],
    ["an unknown sensitivity", { sensitivity: "secret" }, 'Data product "positions" has sensitivity "secret"; use one of low, medium, high.'],
    ["no policy manifest", { consumers: [] }, 'Data product "positions" has no policy manifest (no consumers and no policyManifest); declare who may read it.'],
    ["a consumer that is not a SPIFFE ID", { consumers: ["risk-engine"] }, 'Data product "positions" consumer "risk-engine" is neither a SPIFFE ID nor "*".'],
    ["a wildcard consumer of a high product", { consumers: ["*"] }, 'Data product "positions" is high sensitivity but has wildcard consumers ["*"]; name each consumer.'],
    ["a pattern consumer of a high product", { consumers: [`${TD}/ns/risk/*`] }, `Data product "positions" is high sensitivity but has wildcard consumers ["${TD}/ns/risk/*"]; name each consumer.`],
    ["an EU product in a US region", { region: "us-east-1" }, 'Data product "positions" must stay in eu but is in region "us-east-1" (us).'],
    ["an EU product in London", { region: "europe-west2" }, 'Data product "positions" must stay in eu but is in region "europe-west2" (uk).'],
    ["an EU product in an Azure US region", { region: "eastus" }, 'Data product "positions" must stay in eu but is in region "eastus" (us).'],
    ["an unknown region", { region: "moon-base-1" }, 'Data product "positions" is in region "moon-base-1" whose jurisdiction is unknown; add it to regionJurisdictions.'],
    ["no residency", { residency: undefined }, 'Data product "positions" has no residency; name the jurisdiction its data must stay in.'],
  ])("fails %s", async (_l, over, message) => {
    expect(messages(await pack.violationsOf(P, [cm(product(over))]))).toEqual([message]);
  });

  it("fails a product.json that is not JSON", async () => {
    expect(messages(await pack.violationsOf(P, [cm("{name: ")]))).toEqual(["product.json is missing or not a JSON object."]);
  });

  it("takes regionJurisdictions from config", async () => {
    const config = { [P]: { regionJurisdictions: { "moon-base-1": "eu", "eu-central-1": "us" } } };
    const v = await pack.violationsOf(P, [cm(product({ region: "moon-base-1" })), cm(product(), "overridden")], { config });
    expect(messages(v)).toEqual(['Data product "positions" must stay in eu but is in region "eu-central-1" (us).']);
  });

  it("reports an unknown product.json at preview", async () => {
    expect((await pack.violationsOf(P, [cm(UNKNOWN)])).map((v) => v.level)).toEqual(["advisory"]);
  });
});
