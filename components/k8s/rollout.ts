/** How mesh Deployments roll: never below the desired replicas, and again when their config changes; spread and disruption budget of the redundant ones. */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { zonePlacement } from "./zone";

/** Pod template annotation carrying the config's sha256, so a config change rolls the pods. */
export const CONFIG_HASH_ANNOTATION = "ztmesh.io/config-sha256";

/** The value of {@link CONFIG_HASH_ANNOTATION} for a config's text. */
export function configHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A rolling update that adds a pod before removing one, so capacity never drops. */
export const SURGE_ROLLOUT = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } as const;

/** What {@link redundantDeployment} builds a Deployment and its PodDisruptionBudget from. */
export interface RedundantDeploymentSpec {
  /** Name and namespace of both; `labels` go on both and on the pods. */
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  /** The labels selecting the pods (a subset of `metadata.labels`). */
  selector: Record<string, string>;
  /** Pods wanted (2 or more: the budget keeps all but one available). */
  replicas: number;
  /** {@link configHash} of the configuration the pods load: a change rolls them. */
  configHash: pulumi.Input<string>;
  /** The failure zones the pods spread over (see `zonePlacement`). */
  failureZones: readonly string[];
  /** The pod spec, without placement (added here). */
  pod: k8s.types.input.core.v1.PodSpec;
}

/**
 * The redundant workloads of the mesh (gateways, policy engines, data proxies): a Deployment of
 * `replicas` pods spread over the zone's failure zones, rolled by surge (capacity never drops)
 * and again when their configuration changes, and a PodDisruptionBudget keeping all but one
 * available through voluntary disruptions. Children `<name>-deployment` and `<name>-pdb`.
 */
export function redundantDeployment(name: string, spec: RedundantDeploymentSpec, opts: pulumi.CustomResourceOptions): k8s.apps.v1.Deployment {
  const { metadata, selector, replicas } = spec;
  const deployment = new k8s.apps.v1.Deployment(
    `${name}-deployment`,
    {
      metadata,
      spec: {
        replicas,
        selector: { matchLabels: selector },
        strategy: SURGE_ROLLOUT,
        template: {
          metadata: { labels: metadata.labels, annotations: { [CONFIG_HASH_ANNOTATION]: spec.configHash } },
          spec: { ...spec.pod, ...zonePlacement(spec.failureZones, selector) },
        },
      },
    },
    opts,
  );
  new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata, spec: { minAvailable: replicas - 1, selector: { matchLabels: selector } } }, opts);
  return deployment;
}
