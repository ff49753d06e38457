import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Cloud } from "../../components/model";
import { JURISDICTIONS, regionJurisdiction, regionShapeProblem } from "../../components/model/regions";
import { REGION_SAMPLES } from "../fixtures/arbitraries";

describe("regionJurisdiction", () => {
  it.each([
    ["aws", "eu-west-1", "eu"],
    ["aws", "eu-west-2", "uk"],
    ["aws", "eu-central-2", "ch"],
    ["aws", "us-gov-west-1", "us"],
    ["aws", "ap-northeast-1", "apac"],
    ["aws", "sa-east-1", "sa"],
    ["aws", "ca-central-1", "ca"],
    ["gcp", "europe-west3", "eu"],
    ["gcp", "europe-west2", "uk"],
    ["gcp", "europe-west6", "ch"],
    ["gcp", "northamerica-northeast1", "ca"],
    ["gcp", "northamerica-south1", "mx"],
    ["gcp", "us-central1", "us"],
    ["azure", "westeurope", "eu"],
    ["azure", "germanywestcentral", "eu"],
    ["azure", "uksouth", "uk"],
    ["azure", "eastus2", "us"],
    ["azure", "switzerlandnorth", "ch"],
    ["onprem", "eu-frankfurt-dc1", "eu"],
    ["onprem", "uk-london", "uk"],
  ] as [Cloud, string, string][])("%s %s is in %s", (cloud, region, j) => {
    expect(regionJurisdiction(cloud, region)).toBe(j);
  });

  it.each([
    ["azure", "marsnorth"],
    ["onprem", "frankfurt-dc1"],
    ["onprem", "eu"],
    ["aws", "constructor"],
    ["gcp", "toString"],
  ] as [Cloud, string][])("%s %s is unknown", (cloud, region) => {
    expect(regionJurisdiction(cloud, region)).toBeUndefined();
  });

  it("agrees with the arbitraries' region samples, whose names are plausible", () => {
    for (const [cloud, samples] of Object.entries(REGION_SAMPLES) as [Cloud, (typeof REGION_SAMPLES)[Cloud]][]) {
      for (const [region, j] of samples) {
        expect(regionJurisdiction(cloud, region)).toBe(j);
        expect(regionShapeProblem(cloud, region)).toBeUndefined();
      }
    }
  });

  it("reads any on-prem site prefixed with a known jurisdiction", () => {
    fc.assert(
      fc.property(fc.constantFrom(...JURISDICTIONS), fc.stringMatching(/^[a-z0-9]{1,10}$/), (j, site) => {
        expect(regionJurisdiction("onprem", `${j}-${site}`)).toBe(j);
      }),
    );
  });
});
