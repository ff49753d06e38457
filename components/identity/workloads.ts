/**
 * Derives what one zone's cloud account must federate from the mesh model: the workloads that
 * the intents grant something in that zone, and exactly those grants. Pure.
 */
import { compileIam, type AwsWorkloadPolicy, type AzureWorkloadRoles, type GcpWorkloadBindings, type IamDocuments } from "../compile/iam";
import { ValidationError } from "../model/errors";
import type { MeshModel } from "../model/model";
import type { FederatedWorkload } from "./types";

/** The bucket an S3 ARN names (`arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/*`). */
function s3Bucket(arn: string): string | undefined {
  return /^arn:[a-z-]+:s3:::([^/]+)/.exec(arn)?.[1];
}

/**
 * The workloads and IAM documents of one zone's cloud account: every workload (of any zone)
 * that an intent grants access to an object-store product of this zone, with only those grants.
 * Workloads without a grant here get no cloud identity; add others (e.g. the log collector)
 * to `workloads` yourself. `all`: the mesh's `compileIam(model)` when the caller has it already
 * (compiled here by default), so that several zones do not compile the whole mesh each.
 */
export function federationFor(model: MeshModel, zoneId: string, all: IamDocuments = compileIam(model)): { workloads: FederatedWorkload[]; documents: IamDocuments } {
  const zone = model.zones.find((z) => z.id === zoneId);
  if (!zone) {
    throw new ValidationError(
      [{ path: "zoneId", message: `unknown zone ${JSON.stringify(zoneId)}`, fix: `use one of ${model.zones.map((z) => z.id).join(", ")}` }],
      "federationFor arguments",
    );
  }
  const inZone = (productKey: string): boolean => model.dataProducts.get(productKey)?.zone === zoneId;
  const buckets = new Set([...model.dataProducts.values()].filter((p) => p.zone === zoneId && p.engine === "s3").map((p) => p.location));
  const documents: IamDocuments = { aws: {}, azure: {}, gcp: {} };
  const spiffe = new Map<string, string>();

  for (const [key, doc] of Object.entries(all.aws)) {
    const Statement = doc.policy.Statement.filter((s) => s.Resource.every((r) => buckets.has(s3Bucket(r) ?? "")));
    if (Statement.length === 0 || zone.cloud !== "aws") continue;
    const entry: AwsWorkloadPolicy = { ...doc, policy: { ...doc.policy, Statement } };
    documents.aws[key] = entry;
    spiffe.set(key, doc.spiffeId);
  }
  for (const [key, doc] of Object.entries(all.azure)) {
    const roleAssignments = doc.roleAssignments.filter((r) => inZone(r.product));
    if (roleAssignments.length === 0 || zone.cloud !== "azure") continue;
    const entry: AzureWorkloadRoles = { ...doc, roleAssignments };
    documents.azure[key] = entry;
    spiffe.set(key, doc.spiffeId);
  }
  for (const [key, doc] of Object.entries(all.gcp)) {
    const bindings = doc.bindings.filter((b) => inZone(b.product));
    if (bindings.length === 0 || zone.cloud !== "gcp") continue;
    const entry: GcpWorkloadBindings = { ...doc, bindings };
    documents.gcp[key] = entry;
    spiffe.set(key, doc.spiffeId);
  }
  const workloads = [...spiffe.keys()].sort().map((key) => ({ key, spiffeId: spiffe.get(key)! }));
  return { workloads, documents };
}
