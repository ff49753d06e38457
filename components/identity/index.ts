/**
 * WorkloadIdentityFederation: one zone's cloud account trusts the mesh's SPIFFE issuer, and
 * each federated workload (SPIFFE ID) gets its own cloud identity with exactly the permissions
 * its intents compile to. No long-lived keys anywhere.
 *
 * ```ts
 * const zone = model.zones.find((z) => z.id === "aws-eu")!;
 * const fed = new WorkloadIdentityFederation("aws-eu-identity", {
 *   zone,
 *   trustDomain: model.trustDomain,
 *   issuerUrl: "https://oidc.mesh.acme.example",
 *   ...federationFor(model, zone.id),
 * }, { provider: awsEu });
 * fed.identities["trading/matching"].principal; // role ARN for the pod
 * ```
 */
import * as pulumi from "@pulumi/pulumi";
import { cloudTags } from "../common/cloud";
import { awsFederation } from "./aws";
import { azureFederation } from "./azure";
import { issuerHostPath, resolveFederationArgs, WORKLOAD_IDENTITY_FEDERATION_TYPE } from "./core";
import { gcpFederation } from "./gcp";
import type { FederatedIdentity, WorkloadIdentityFederationArgs } from "./types";

export * from "./types";
export { federationFor } from "./workloads";
export { AWS_DEFAULT_AUDIENCE, awsTrustPolicy, type AwsTrustPolicy } from "./aws";
export { AZURE_AUDIENCE, AZURE_CREDENTIAL_NAME } from "./azure";
export { defaultPoolId, gcpAttributeCondition, gcpProviderResourceName, gcpSubjectPrincipal, WORKLOAD_IDENTITY_USER } from "./gcp";
export { issuerHostPath, issuerProblem, WORKLOAD_IDENTITY_FEDERATION_TYPE } from "./core";

const CLOUDS = { aws: awsFederation, azure: azureFederation, gcp: gcpFederation } as const;

export class WorkloadIdentityFederation extends pulumi.ComponentResource {
  /** The cloud the zone runs in. */
  readonly cloud: "aws" | "azure" | "gcp";
  /** Per workload key: the principal a pod assumes, what to grant to, and the audience to request. */
  readonly identities: Record<string, FederatedIdentity>;
  /** What the cloud trusts: AWS OIDC provider ARN, Azure issuer URL, GCP pool provider resource name. */
  readonly trustAnchor: pulumi.Output<string>;
  /** The audience every workload requests its JWT-SVID for. */
  readonly audience: string;

  /**
   * @throws {ValidationError} before anything is created, naming each bad argument, its value and the fix.
   */
  constructor(name: string, args: WorkloadIdentityFederationArgs, opts: pulumi.ComponentResourceOptions = {}) {
    // Validate before registering the component, so bad input leaves no trace in the stack.
    const resolved = resolveFederationArgs(name, args, CLOUDS);
    super(WORKLOAD_IDENTITY_FEDERATION_TYPE, name, {}, opts);
    this.cloud = args.zone.cloud as "aws" | "azure" | "gcp";
    this.audience = resolved.audience;
    const tags = cloudTags(args.zone, args.tags);
    const result = resolved.cloud.create({
      parent: this,
      name,
      args,
      zone: args.zone,
      issuer: args.issuerUrl,
      issuerHostPath: issuerHostPath(args.issuerUrl),
      audience: resolved.audience,
      workloads: resolved.workloads,
      documents: resolved.documents,
      tags,
    });
    this.identities = result.identities;
    this.trustAnchor = result.trustAnchor;
    this.registerOutputs({
      cloud: this.cloud,
      audience: this.audience,
      trustAnchor: this.trustAnchor,
      identities: Object.fromEntries(Object.entries(this.identities).map(([k, v]) => [k, { principal: v.principal, grantee: v.grantee, audience: v.audience }])),
    });
  }
}
