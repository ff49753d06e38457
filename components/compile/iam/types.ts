/** Typed IAM documents per cloud, as produced by `compileIam`. Plain data, serialized at the edge. */

/** One statement of an AWS identity policy as ztmesh writes it (explicit actions and resources). */
export interface AwsStatement {
  /** Derived from the product key and the grant (`TradingTradesReadObjects`). */
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
}

/** An AWS IAM policy document. */
export interface AwsPolicyDocument {
  Version: "2012-10-17";
  Statement: AwsStatement[];
}

/** A workload's AWS permissions: the inline policy of its role. */
export interface AwsWorkloadPolicy {
  /** Workload key `<domain>/<name>`. */
  workload: string;
  /** The SPIFFE ID federated into the role's trust policy (`sub`). */
  spiffeId: string;
  /** See `awsRoleName`. */
  roleName: string;
  policy: AwsPolicyDocument;
}

/** One Azure role assignment (built-in role, narrowest scope: the blob container). */
export interface AzureRoleAssignment {
  /** Product key the assignment serves. */
  product: string;
  roleDefinitionName: "Storage Blob Data Reader" | "Storage Blob Data Contributor";
  /** The built-in role's GUID. */
  roleDefinitionGuid: string;
  /** `/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>`. */
  roleDefinitionId: string;
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>`. */
  scope: string;
}

/** A workload's Azure permissions: role assignments to its user-assigned identity. */
export interface AzureWorkloadRoles {
  workload: string;
  spiffeId: string;
  /** See `azureIdentityName`. */
  identityName: string;
  roleAssignments: AzureRoleAssignment[];
}

/** One GCP IAM binding on a bucket. */
export interface GcpBinding {
  /** Product key the binding serves. */
  product: string;
  role: "roles/storage.objectViewer" | "roles/storage.objectCreator";
  /** Bucket name (what `gcp.storage.BucketIAMMember` takes). */
  bucket: string;
  /** Full resource name `//storage.googleapis.com/projects/_/buckets/<bucket>`. */
  resource: string;
}

/** A workload's GCP permissions: bindings for its service account. */
export interface GcpWorkloadBindings {
  workload: string;
  spiffeId: string;
  /** See `gcpServiceAccountId`. */
  serviceAccountId: string;
  bindings: GcpBinding[];
}

/**
 * Every cloud permission the intents imply, keyed by cloud, then by workload key (keys in
 * ascending order). A workload appears under a cloud only when it has a grant there.
 */
export interface IamDocuments {
  aws: Record<string, AwsWorkloadPolicy>;
  azure: Record<string, AzureWorkloadRoles>;
  gcp: Record<string, GcpWorkloadBindings>;
}
