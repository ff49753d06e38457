/**
 * Realistic outputs for resources registered under the mock runtime, per provider and
 * type: the identifiers a real provider would compute (ARNs, resource ids, emails,
 * client ids), derived deterministically from the resource's name and inputs so that
 * downstream wiring (a role ARN into a trust policy, an id into a scope) looks real.
 * Inputs always win over these defaults.
 */
import { createHash } from "node:crypto";
import type { PropertyMap, PropertyValue } from "./properties";

const AWS_ACCOUNT = "123456789012";
const AWS_REGION = "us-east-1";
const AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

function hash(s: string, len = 8): string {
  return createHash("sha256").update(s).digest("hex").slice(0, len);
}

/** A deterministic GUID from a seed. */
export function guid(seed: string): string {
  const h = hash(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function str(v: PropertyValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function obj(v: PropertyValue | undefined): { [k: string]: PropertyValue } | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
}

/** Splits `pkg:module/sub:Type` into its parts. */
export function parseType(type: string): { pkg: string; module: string; kind: string } {
  const [pkg = "", mod = "", kind = ""] = type.split(":");
  return { pkg, module: mod.split("/")[0], kind };
}

function awsOutputs(module: string, kind: string, name: string, inputs: PropertyMap): PropertyMap {
  const physical = str(inputs.name) ?? `${name}-${hash(name, 7)}`;
  switch (`${module}:${kind}`) {
    case "s3:Bucket":
    case "s3:BucketV2": {
      const bucket = str(inputs.bucket) ?? physical.toLowerCase();
      return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com`, region: AWS_REGION };
    }
    case "iam:Role":
      return { id: physical, name: physical, arn: `arn:aws:iam::${AWS_ACCOUNT}:role/${physical}`, uniqueId: `AROA${hash(name, 16).toUpperCase()}` };
    case "iam:Policy":
      return { id: `arn:aws:iam::${AWS_ACCOUNT}:policy/${physical}`, name: physical, arn: `arn:aws:iam::${AWS_ACCOUNT}:policy/${physical}` };
    case "iam:OpenIdConnectProvider": {
      const host = (str(inputs.url) ?? `oidc.${name}.example`).replace(/^https:\/\//, "");
      const arn = `arn:aws:iam::${AWS_ACCOUNT}:oidc-provider/${host}`;
      return { id: arn, arn };
    }
    case "kms:Key": {
      const keyId = guid(name);
      return { id: keyId, keyId, arn: `arn:aws:kms:${AWS_REGION}:${AWS_ACCOUNT}:key/${keyId}` };
    }
    case "ec2:SecurityGroup":
      return { id: `sg-${hash(name, 17)}`, arn: `arn:aws:ec2:${AWS_REGION}:${AWS_ACCOUNT}:security-group/sg-${hash(name, 17)}`, name: physical };
    default:
      return { id: physical, arn: `arn:aws:${module}:${AWS_REGION}:${AWS_ACCOUNT}:${kind.toLowerCase()}/${physical}` };
  }
}

function gcpOutputs(module: string, kind: string, name: string, inputs: PropertyMap): PropertyMap {
  const project = str(inputs.project) ?? "mock-project";
  const physical = str(inputs.name) ?? `${name}-${hash(name, 7)}`;
  switch (`${module}:${kind}`) {
    case "serviceaccount:Account": {
      const accountId = str(inputs.accountId) ?? physical;
      const email = `${accountId}@${project}.iam.gserviceaccount.com`;
      return { id: `projects/${project}/serviceAccounts/${email}`, email, name: `projects/${project}/serviceAccounts/${email}`, uniqueId: String(parseInt(hash(name, 12), 16)), member: `serviceAccount:${email}` };
    }
    case "iam:WorkloadIdentityPool": {
      const pool = str(inputs.workloadIdentityPoolId) ?? physical;
      const n = `projects/123456789012/locations/global/workloadIdentityPools/${pool}`;
      return { id: n, name: n, state: "ACTIVE" };
    }
    case "iam:WorkloadIdentityPoolProvider": {
      const pool = str(inputs.workloadIdentityPoolId) ?? "pool";
      const provider = str(inputs.workloadIdentityPoolProviderId) ?? physical;
      const n = `projects/123456789012/locations/global/workloadIdentityPools/${pool}/providers/${provider}`;
      return { id: n, name: n, state: "ACTIVE" };
    }
    case "storage:Bucket":
      return { id: physical, name: physical, url: `gs://${physical}`, selfLink: `https://www.googleapis.com/storage/v1/b/${physical}` };
    case "kms:KeyRing":
      return { id: `projects/${project}/locations/${str(inputs.location) ?? "global"}/keyRings/${physical}`, name: physical };
    case "kms:CryptoKey":
      return { id: `${str(inputs.keyRing) ?? "keyring"}/cryptoKeys/${physical}`, name: physical };
    default:
      return { id: `projects/${project}/${kind.toLowerCase()}s/${physical}`, name: physical };
  }
}

function azureOutputs(module: string, kind: string, name: string, inputs: PropertyMap): PropertyMap {
  const rg = str(inputs.resourceGroupName) ?? "mock-rg";
  const physical =
    str(inputs.resourceName) ?? str(inputs.accountName) ?? str(inputs.containerName) ?? str(inputs.name) ?? `${name}${hash(name, 6)}`;
  const id = `/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.${module[0].toUpperCase()}${module.slice(1)}/${kind}/${physical}`;
  const base: PropertyMap = { id, name: physical };
  if (kind === "UserAssignedIdentity") {
    return { ...base, clientId: guid(`${name}-client`), principalId: guid(`${name}-principal`), tenantId: guid("tenant") };
  }
  if (kind === "StorageAccount") {
    return { ...base, primaryEndpoints: { blob: `https://${physical}.blob.core.windows.net/` } };
  }
  return base;
}

function kubernetesOutputs(name: string, inputs: PropertyMap): PropertyMap {
  const metadata = obj(inputs.metadata) ?? {};
  const kind = str(inputs.kind);
  const out: PropertyMap = {
    metadata: { ...metadata, name: str(metadata.name) ?? `${name}-${hash(name, 8)}`, uid: guid(`${name}-uid`) },
  };
  const spec = obj(inputs.spec);
  if (kind === "Service" && spec && str(spec.type) === "LoadBalancer") {
    out.status = { loadBalancer: { ingress: [{ hostname: `${hash(name, 12)}.elb.example.com` }] } };
  }
  return out;
}

/** Outputs a real provider would compute for this resource (inputs are merged over them). */
export function defaultOutputs(type: string, name: string, inputs: PropertyMap): PropertyMap {
  const { pkg, module, kind } = parseType(type);
  switch (pkg) {
    case "aws":
      return awsOutputs(module, kind, name, inputs);
    case "gcp":
      return gcpOutputs(module, kind, name, inputs);
    case "azure-native":
      return azureOutputs(module, kind, name, inputs);
    case "kubernetes":
      return kubernetesOutputs(name, inputs);
    default:
      return {};
  }
}

/** Results a real provider would return for data-source invokes the components use. */
export function defaultInvokeResult(token: string, args: PropertyMap): PropertyMap | undefined {
  switch (token) {
    case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": {
      const email = `service-123456789012@gs-project-accounts.iam.gserviceaccount.com`;
      return { ...args, emailAddress: email, member: `serviceAccount:${email}`, id: email, project: str(args.project) ?? "mock-project" };
    }
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: AWS_ACCOUNT, arn: `arn:aws:iam::${AWS_ACCOUNT}:user/mock`, userId: "AIDAMOCK", id: AWS_ACCOUNT };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:index/getRegion:getRegion":
      return { name: AWS_REGION, region: AWS_REGION, id: AWS_REGION };
    default:
      return undefined;
  }
}
