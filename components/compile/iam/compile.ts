/**
 * Compiles data intents on object-store products into least-privilege cloud IAM documents,
 * per workload identity and per cloud.
 *
 * - AWS (`s3`): read = `s3:GetObject` on `arn:<partition>:s3:::<bucket>/*` and
 *   `s3:ListBucket` on the bucket; write = `s3:PutObject` on the objects. No wildcard action
 *   or resource (only the object-key `/*` under one bucket).
 * - Azure (`blob`): read = Storage Blob Data Reader, write = Storage Blob Data Contributor
 *   (which includes read, so read+write yields the Contributor only), scoped to the container
 *   (see `azureBlobTarget` for how `location` maps to account and container).
 * - GCP (`gcs`): read = roles/storage.objectViewer, write = roles/storage.objectCreator, on
 *   the bucket (`location`).
 * - Databases (`postgres`, `mysql`) get no cloud IAM: their only path is the data proxy.
 *
 * A `*` source grants every service of the mesh. A workload in another cloud than the
 * product's still gets the grant in the product's cloud (its SPIFFE ID is federated there).
 */
import type { DataProduct, MeshModel, Service, Zone } from "../../model/model";
import type { DataAccess } from "../../model/types";
import { awsRoleName, azureBlobTarget, azureIdentityName, gcpServiceAccountId } from "./names";
import type {
  AwsStatement,
  AzureRoleAssignment,
  AzureWorkloadRoles,
  AwsWorkloadPolicy,
  GcpBinding,
  GcpWorkloadBindings,
  IamDocuments,
} from "./types";

/** Built-in Azure role GUIDs (identical in every tenant). */
export const AZURE_BLOB_ROLES = {
  "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
} as const;

/** PascalCase of a DNS label (`customer-risk` -> `CustomerRisk`), for statement ids. */
function pascal(label: string): string {
  return label
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p.length > 0)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join("");
}

function zoneOf(model: MeshModel, product: DataProduct): Zone {
  const zone = model.zones.find((z) => z.id === product.zone);
  if (!zone) throw new Error(`compileIam: product ${product.key} is in unknown zone "${product.zone}" (validate first)`);
  return zone;
}

/** The AWS statements granting `access` on an s3 product (bucket = `location`). */
export function s3Statements(product: DataProduct, partition: string, access: readonly DataAccess[]): AwsStatement[] {
  const sid = pascal(product.domain) + pascal(product.name);
  const bucket = `arn:${partition}:s3:::${product.location}`;
  const out: AwsStatement[] = [];
  if (access.includes("read")) {
    out.push({ Sid: `${sid}ReadObjects`, Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucket}/*`] });
    out.push({ Sid: `${sid}ListBucket`, Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket] });
  }
  if (access.includes("write")) {
    out.push({ Sid: `${sid}WriteObjects`, Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${bucket}/*`] });
  }
  return out;
}

/** The Azure role assignment granting `access` on a blob product (Contributor subsumes Reader). */
export function blobRoleAssignment(product: DataProduct, zone: Zone, access: readonly DataAccess[]): AzureRoleAssignment {
  if (!zone.azure) throw new Error(`compileIam: zone ${zone.id} has no azure settings (validate first)`);
  const { subscriptionId, resourceGroupName } = zone.azure;
  const { account, container } = azureBlobTarget(product);
  const name = access.includes("write") ? "Storage Blob Data Contributor" : "Storage Blob Data Reader";
  const guid = AZURE_BLOB_ROLES[name];
  return {
    product: product.key,
    roleDefinitionName: name,
    roleDefinitionGuid: guid,
    roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    scope:
      `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}` +
      `/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default/containers/${container}`,
  };
}

/** The GCP bindings granting `access` on a gcs product (bucket = `location`). */
export function gcsBindings(product: DataProduct, access: readonly DataAccess[]): GcpBinding[] {
  const bucket = product.location;
  const resource = `//storage.googleapis.com/projects/_/buckets/${bucket}`;
  const out: GcpBinding[] = [];
  if (access.includes("read")) out.push({ product: product.key, role: "roles/storage.objectViewer", bucket, resource });
  if (access.includes("write")) out.push({ product: product.key, role: "roles/storage.objectCreator", bucket, resource });
  return out;
}

/**
 * The access each service has on each object-store product, merged over all intents
 * (a `*` source expands to every service): workload key -> product key -> access.
 */
export function objectStoreGrants(model: MeshModel): Map<string, Map<string, DataAccess[]>> {
  const grants = new Map<string, Map<string, Set<DataAccess>>>();
  const services = [...model.services.values()];
  for (const intent of model.intents) {
    if (intent.kind !== "data") continue;
    const product = model.dataProducts.get(intent.to);
    if (!product || (product.engine !== "s3" && product.engine !== "blob" && product.engine !== "gcs")) continue;
    const sources: Service[] =
      intent.source.kind === "any" ? services : services.filter((s) => intent.source.kind === "workload" && s.key === intent.source.key);
    for (const s of sources) {
      const perProduct = grants.get(s.key) ?? new Map<string, Set<DataAccess>>();
      const access = perProduct.get(product.key) ?? new Set<DataAccess>();
      for (const a of intent.access) access.add(a);
      perProduct.set(product.key, access);
      grants.set(s.key, perProduct);
    }
  }
  const order: DataAccess[] = ["read", "write"];
  const sorted = new Map<string, Map<string, DataAccess[]>>();
  for (const w of [...grants.keys()].sort()) {
    const perProduct = grants.get(w)!;
    sorted.set(
      w,
      new Map([...perProduct.keys()].sort().map((p) => [p, order.filter((a) => perProduct.get(p)!.has(a))])),
    );
  }
  return sorted;
}

/** Compiles every workload's cloud permissions. Pure and deterministic (keys sorted). */
export function compileIam(model: MeshModel): IamDocuments {
  const docs: IamDocuments = { aws: {}, azure: {}, gcp: {} };
  for (const [workloadKey, perProduct] of objectStoreGrants(model)) {
    const svc = model.services.get(workloadKey)!;
    const statements: AwsStatement[] = [];
    const assignments: AzureRoleAssignment[] = [];
    const bindings: GcpBinding[] = [];
    for (const [productKey, access] of perProduct) {
      const product = model.dataProducts.get(productKey)!;
      const zone = zoneOf(model, product);
      if (product.engine === "s3") statements.push(...s3Statements(product, zone.aws?.partition ?? "aws", access));
      else if (product.engine === "blob") assignments.push(blobRoleAssignment(product, zone, access));
      else if (product.engine === "gcs") bindings.push(...gcsBindings(product, access));
    }
    const base = { workload: svc.key, spiffeId: svc.spiffeId };
    if (statements.length > 0) {
      const entry: AwsWorkloadPolicy = { ...base, roleName: awsRoleName(svc), policy: { Version: "2012-10-17", Statement: uniqueSids(statements) } };
      docs.aws[svc.key] = entry;
    }
    if (assignments.length > 0) {
      const entry: AzureWorkloadRoles = { ...base, identityName: azureIdentityName(svc), roleAssignments: assignments };
      docs.azure[svc.key] = entry;
    }
    if (bindings.length > 0) {
      const entry: GcpWorkloadBindings = { ...base, serviceAccountId: gcpServiceAccountId(svc), bindings };
      docs.gcp[svc.key] = entry;
    }
  }
  return docs;
}

/** Makes Sids unique within a document (`a-b/c` and `a/b-c` would both give `ABC...`). */
function uniqueSids(statements: AwsStatement[]): AwsStatement[] {
  const seen = new Map<string, number>();
  return statements.map((s) => {
    const n = (seen.get(s.Sid) ?? 0) + 1;
    seen.set(s.Sid, n);
    return n === 1 ? s : { ...s, Sid: `${s.Sid}${n}` };
  });
}
