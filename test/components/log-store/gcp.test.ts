import { beforeAll, describe, expect, it } from "vitest";
import { Recorder, type RecordedResource } from "../../../cli/lib/recorder";
import type { AuditLogStore } from "../../../components/log-store";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const AGENT = "service-998877665544@gs-project-accounts.iam.gserviceaccount.com";
const rec = new Recorder({
  invokes: { "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": () => ({ emailAddress: AGENT, member: `serviceAccount:${AGENT}` }) },
});
const model = buildMesh(mesh, domains);
const zone = model.zones.find((z) => z.id === "gcp-eu")!;
const WRITER = "serviceAccount:mesh-log-collector@acme-risk.iam.gserviceaccount.com";

let store: AuditLogStore;
let component: RecordedResource;
beforeAll(async () => {
  const { AuditLogStore } = await import("../../../components/log-store");
  store = new AuditLogStore("audit", { zone, retention: model.logRetention, writer: WRITER, lockRetention: true });
  new AuditLogStore("audit-dev", { zone, encryptionKey: "projects/acme-risk/locations/europe-west3/keyRings/r/cryptoKeys/k" });
  await rec.settle();
  component = rec.get("audit", "ztmesh:log-store:AuditLogStore");
});

const value = <T>(o: { apply(f: (v: T) => void): unknown }): Promise<T> => new Promise((resolve) => o.apply(resolve));

describe("AuditLogStore on GCP", () => {
  it("creates the key ring, key, key grant, bucket and writer binding, all parented to the component", () => {
    expect(rec.childrenOf(component.urn).map((c) => c.type).sort()).toEqual(
      [
        "gcp:kms/keyRing:KeyRing",
        "gcp:kms/cryptoKey:CryptoKey",
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "gcp:storage/bucket:Bucket",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
      ].sort(),
    );
    const stores = rec.ofType("ztmesh:log-store:AuditLogStore").map((r) => r.urn);
    for (const r of rec.resources) if (!stores.includes(r.urn)) expect(stores).toContain(r.parent);
  });

  it("asks for the storage service agent as a child invoke and lets only it use the rotated key", () => {
    expect(rec.invokes.map((i) => i.token)).toEqual(["gcp:storage/getProjectServiceAccount:getProjectServiceAccount"]);
    expect(rec.invokes[0].args).toMatchObject({ project: "acme-risk" });
    expect(rec.get("audit-key").inputs).toMatchObject({ rotationPeriod: "7776000s", purpose: "ENCRYPT_DECRYPT" });
    expect(rec.get("audit-keyring").inputs).toMatchObject({ location: "europe-west3", project: "acme-risk" });
    expect(rec.get("audit-key-access").inputs).toMatchObject({ role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: `serviceAccount:${AGENT}` });
    expect(rec.get("audit-bucket").dependencies).toContain(rec.get("audit-key-access").urn);
  });

  it("makes the bucket private, uniformly accessed, CMEK-encrypted and retention-locked", async () => {
    const b = rec.get("audit-bucket").inputs;
    expect(b).toMatchObject({
      location: "europe-west3",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      retentionPolicy: { retentionPeriod: String(2555 * 86400), isLocked: true },
      versioning: { enabled: false },
      forceDestroy: false,
    });
    expect((b.encryption as Record<string, unknown>).defaultKmsKeyName).toBe(await value(store.encryptionKey));
    expect(b.labels).toEqual({ "ztmesh-role": "audit-log-store", "ztmesh-zone": "gcp-eu", "managed-by": "ztmesh" });
    expect(rec.get("audit-dev-bucket").inputs.retentionPolicy).toEqual({ retentionPeriod: String(2555 * 86400), isLocked: false });
    expect((rec.get("audit-dev-bucket").inputs.encryption as Record<string, unknown>).defaultKmsKeyName).toBe("projects/acme-risk/locations/europe-west3/keyRings/r/cryptoKeys/k");
  });

  it("archives after the hot days and deletes after the retained days", () => {
    expect(rec.get("audit-bucket").inputs.lifecycleRules).toEqual([
      { action: { type: "SetStorageClass", storageClass: "ARCHIVE" }, condition: { age: 90 } },
      { action: { type: "Delete" }, condition: { age: 2555 } },
    ]);
  });

  it("lets the writer only create objects", async () => {
    const w = rec.get("audit-writer").inputs;
    expect(w).toEqual({ bucket: await value(store.storeName), role: "roles/storage.objectCreator", member: WRITER });
    expect(rec.ofType("gcp:storage/bucketIAMMember:BucketIAMMember")).toHaveLength(1);
    expect(await value(store.endpoint)).toBe(`gs://${await value(store.storeName)}`);
  });
});
