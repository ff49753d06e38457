import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../cli/lib/properties";
import { Recorder, makeUrn } from "../../cli/lib/recorder";

describe("Recorder", () => {
  it("derives URNs as the engine does: qualified by the parent's type chain, not by the root stack", () => {
    const stackUrn = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
    expect(makeUrn("dev", "p", stackUrn, "a:b:C", "c")).toBe("urn:pulumi:dev::p::a:b:C::c");
    const parent = "urn:pulumi:dev::p::x:y:Outer$x:y:Inner::i";
    expect(makeUrn("dev", "p", parent, "aws:s3/bucket:Bucket", "b")).toBe("urn:pulumi:dev::p::x:y:Outer$x:y:Inner$aws:s3/bucket:Bucket::b");
    expect(makeUrn("dev", "p", undefined, "pulumi:pulumi:Stack", "p-dev")).toBe(stackUrn);
  });

  it("records types, parents, dependencies, unwrapped secrets and realistic outputs", async () => {
    const rec = new Recorder({ project: "p", stack: "dev" });
    const pulumi = await import("@pulumi/pulumi");
    const aws = await import("@pulumi/aws");
    class Box extends pulumi.ComponentResource {
      readonly role: InstanceType<typeof aws.iam.Role>;
      constructor(name: string) {
        super("test:box:Box", name, {}, {});
        this.role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: pulumi.secret("{}") }, { parent: this });
        new aws.iam.RolePolicy(`${name}-policy`, { role: this.role.name, policy: "{}" }, { parent: this });
        this.registerOutputs({});
      }
    }
    const box = new Box("b");
    const arn = await new Promise<string>((resolve) => box.role.arn.apply(resolve));
    await rec.settle();

    const role = rec.get("b-role");
    expect(role.type).toBe("aws:iam/role:Role");
    expect(role.parent).toBe("urn:pulumi:dev::p::test:box:Box::b");
    expect(role.urn).toBe("urn:pulumi:dev::p::test:box:Box$aws:iam/role:Role::b-role");
    expect(role.inputs.assumeRolePolicy).toBe("{}");
    expect(arn).toMatch(/^arn:aws:iam::\d{12}:role\/b-role-[0-9a-f]{7}$/);
    const policy = rec.get("b-policy");
    expect(policy.dependencies).toEqual([role.urn]);
    expect(policy.propertyDependencies.role).toEqual([role.urn]);
    expect(rec.childrenOf(rec.get("b").urn).map((r) => r.name)).toEqual(["b-role", "b-policy"]);
  });
});

describe("Recorder in preview mode", () => {
  it("leaves provider-computed outputs unknown", async () => {
    const rec = new Recorder({ preview: true });
    const aws = await import("@pulumi/aws");
    const bucket = new aws.s3.Bucket("logs", {});
    new aws.s3.BucketVersioning("logs-versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    await rec.settle();
    expect(rec.get("logs-versioning").inputs.bucket).toBe(UNKNOWN);
    expect(rec.get("logs-versioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
  });
});
