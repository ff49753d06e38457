/**
 * GCP: a private GCS bucket encrypted with the zone's own rotated Cloud KMS key (the project's
 * storage service agent does the crypto); the engine's Kubernetes service account reads it
 * through GKE Workload Identity and needs no permission on the key.
 */
import * as gcp from "@pulumi/gcp";
import { gcpLabels, gcsStoreKey } from "../../common/gcp-kms";
import { SYSTEM_NAMESPACE } from "../../compile/kubernetes/labels";
import { policyEngineName } from "../../policy-engine";
import { BUNDLE_PREFIX, type BundleStoreContext, type ZoneBundleStore } from "./core";

export function gcpBundleStore({ name, zone, tags, bucketName, opts }: BundleStoreContext): ZoneBundleStore {
  const prefix = BUNDLE_PREFIX;
  const project = zone.gcp?.project;
  const labels = gcpLabels(tags);
  // The key lives in the bucket's region (a regional bucket's location, lowercase).
  const { keyId, keyAccess } = gcsStoreKey(name, { project, location: zone.region, labels }, opts);
  const bucket = new gcp.storage.Bucket(
    `${name}-bucket`,
    {
      name: bucketName,
      project,
      location: zone.region.toUpperCase(),
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: keyId },
      labels,
    },
    { ...opts, dependsOn: keyAccess },
  );
  // GKE Workload Identity principal of the engine's Kubernetes service account.
  const member = `principal://iam.googleapis.com/projects/${zone.gcp?.projectNumber}/locations/global/workloadIdentityPools/${project}.svc.id.goog/subject/ns/${SYSTEM_NAMESPACE}/sa/${policyEngineName(zone.id)}`;
  new gcp.storage.BucketIAMMember(`${name}-engine-reader`, { bucket: bucket.name, role: "roles/storage.objectViewer", member }, opts);
  return { engine: { kind: "gcs", bucket: bucketName, prefix }, contract: { kind: "gcs", bucket: bucketName, prefix } };
}
