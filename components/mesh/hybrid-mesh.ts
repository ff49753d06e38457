/**
 * HybridMesh: the platform. From one mesh declaration and each zone's existing infrastructure,
 * every zone gets, wired together: the `ztmesh-system` namespace, its SPIRE identity issuer
 * (all zones chain to one upstream CA: one trust domain), cloud workload identity federation
 * for the system workloads, the immutable audit log store and the collector writing to it,
 * the bundle store and the policy engine (decision logs to the collector), and the gateway.
 *
 * ```ts
 * const mesh = new HybridMesh("mesh", {
 *   mesh: spec,
 *   zones: { "aws-eu": { cluster: awsEuCluster, cloudProvider: awsEu }, ... },
 *   upstreamCa: { certificate: caPem, privateKey: config.requireSecret("upstreamCaKey") },
 *   signing: { keyId: "ztmesh-2026", publicKeyPem, privateKeyPem: config.requireSecret("bundleSigningKey") },
 * });
 * export const contract = mesh.contract;
 * ```
 */
import * as pulumi from "@pulumi/pulumi";
import type { MeshModel } from "../model/model";
import type { HybridMeshArgs, MeshContract } from "./types";
import { validateHybridMesh } from "./validate";
import { awsTrustedIssuers, type AwsTrustedIssuer } from "./cross-cloud";
import { buildZone, defaultIssuerUrl, type CloudZoneParts, type ZoneParts } from "./zone";

/** Type token of {@link HybridMesh}. */
export const HYBRID_MESH_TYPE = "ztmesh:mesh:HybridMesh";

export class HybridMesh extends pulumi.ComponentResource {
  /** The validated model of the mesh (no domains). */
  readonly model: MeshModel;
  /** The parts of each zone, by zone id. */
  readonly zones: Record<string, ZoneParts>;
  /**
   * The IAM OIDC providers created in AWS accounts for other zones' issuers (plain plan): each
   * AWS account trusts every zone's issuer once, so domains can federate cross-cloud consumers
   * there (`arn:<partition>:iam::<account>:oidc-provider/<issuer host/path>`).
   */
  readonly trustedIssuers: AwsTrustedIssuer[];
  /** The versioned contract domain stacks read (export it as `contract`). */
  readonly contract: pulumi.Output<MeshContract>;

  /** @throws {ValidationError} before anything is created, naming each bad argument. */
  constructor(name: string, args: HybridMeshArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const model = validateHybridMesh(name, args);
    super(HYBRID_MESH_TYPE, name, {}, opts);
    this.model = model;
    const tags = { ...(args.tags ?? {}) };
    const cloudZones = new Map<string, CloudZoneParts>();
    // Every AWS account trusts every zone's issuer, once per account and URL (cross-cloud data, on-prem logs).
    const trustedIssuers = awsTrustedIssuers(
      model.zones.map((z) => ({ zone: z, issuerUrl: args.zones[z.id].issuerUrl ?? defaultIssuerUrl(z.id, model.trustDomain), logStoreZone: args.zones[z.id].logStoreZone })),
    );
    this.trustedIssuers = trustedIssuers;
    this.zones = {};
    // Cloud zones first: on-prem zones write their logs to a cloud zone's store.
    const ordered = [...model.zones.filter((z) => z.cloud !== "onprem"), ...model.zones.filter((z) => z.cloud === "onprem")];
    for (const zone of ordered) {
      const parts = buildZone({ parent: this, mesh: name, model, zone, infra: args.zones[zone.id], args, tags, cloudZones, trustedIssuers });
      if (parts.cloudParts) cloudZones.set(zone.id, parts.cloudParts);
      this.zones[zone.id] = parts;
    }
    const zoneContracts = model.zones.map((z) => this.zones[z.id].contract);
    this.contract = pulumi.all(zoneContracts).apply((zones): MeshContract => ({ version: 1, mesh: args.mesh, zones }));
    this.registerOutputs({ contract: this.contract });
  }
}
