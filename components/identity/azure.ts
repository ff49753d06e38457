/**
 * Azure: per workload a user-assigned managed identity with one federated identity credential
 * (exact subject, the mesh issuer, audience `api://AzureADTokenExchange`), and the role
 * assignments the intents compile to, at the scope the compiler chose (the blob container).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import { show, type ArgChecker } from "../common/args";
import { azureIdentityName } from "../compile/iam";
import { onlyFor } from "./core";
import { checkZoneSettings } from "../common/cloud";
import type { CloudFederation, FederatedIdentity, FederationContext, FederationResult, WorkloadIdentityFederationArgs } from "./types";

/** The only audience Entra ID accepts for federated workload tokens. */
export const AZURE_AUDIENCE = "api://AzureADTokenExchange";

/** Name of each identity's (single) federated credential. */
export const AZURE_CREDENTIAL_NAME = "ztmesh-spire";

function check(args: WorkloadIdentityFederationArgs, c: ArgChecker): void {
  checkZoneSettings(args.zone, c);
  c.check(
    args.audience === undefined || args.audience === AZURE_AUDIENCE,
    "audience",
    `Entra ID only accepts ${show(AZURE_AUDIENCE)} for federated credentials, got ${show(args.audience)}`,
    "omit audience on Azure zones",
  );
  onlyFor(c, args, "aws", ["thumbprints", "existingOidcProviderArn", "permissionsBoundaryArn", "maxSessionDurationSeconds"]);
  onlyFor(c, args, "gcp", ["jwksJson", "poolId", "poolProviderId"]);
}

function create(ctx: FederationContext): FederationResult {
  const { parent, name, zone, audience, tags } = ctx;
  const resourceGroupName = zone.azure!.resourceGroupName;
  const identities: Record<string, FederatedIdentity> = {};
  // Entra ID rejects concurrent credential writes (pulumi-azure-native#4343): chain them all.
  let previous: pulumi.Resource | undefined;
  for (const w of ctx.workloads) {
    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-${w.slug}-identity`,
      { resourceName: azureIdentityName(w), resourceGroupName, location: zone.region, tags },
      { parent },
    );
    const credential: managedidentity.FederatedIdentityCredential = new managedidentity.FederatedIdentityCredential(
      `${name}-${w.slug}-credential`,
      {
        resourceName: identity.name,
        resourceGroupName,
        federatedIdentityCredentialResourceName: AZURE_CREDENTIAL_NAME,
        issuer: ctx.issuer,
        subject: w.spiffeId,
        audiences: [audience],
      },
      { parent, dependsOn: previous ? [previous] : [] },
    );
    previous = credential;
    for (const ra of ctx.documents.azure[w.key]?.roleAssignments ?? []) {
      new authorization.RoleAssignment(
        `${name}-${w.slug}-${ra.product.replace("/", "-")}-access`,
        {
          principalId: identity.principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: ra.roleDefinitionId,
          scope: ra.scope,
          description: `ztmesh: ${w.key} ${ra.roleDefinitionName} on ${ra.product}`,
        },
        { parent },
      );
    }
    identities[w.key] = { principal: identity.clientId, grantee: identity.principalId, audience };
  }
  return { identities, trustAnchor: pulumi.output(ctx.issuer) };
}

/** The Azure implementation of the federation interface. */
export const azureFederation: CloudFederation = {
  check,
  defaultAudience: () => AZURE_AUDIENCE,
  create,
};
