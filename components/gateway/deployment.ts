/** The Envoy Deployment shared by the zone gateway and the egress gateway. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { SYSTEM_NAMESPACE } from "../compile/kubernetes";
import { type ContainerResources, type IssuerArgs, configHash, emptyDir, redundantDeployment, restrictedPodSecurityContext, spireSocketVolume } from "../k8s";
import { K8S, ROLES } from "../conventions";
import { ENVOY_CONFIG_KEY, ENVOY_IMAGE, ENVOY_RESOURCES, ENVOY_UID, envoyContainer } from "./workload";

/**
 * A gateway's ServiceAccount (its SPIFFE identity; `<name>-sa`) and the ConfigMap of its Envoy
 * bootstrap (`<name>-config`, `ztmesh.io/role: envoy`, marked with its artifact path), in
 * `ztmesh-system`. Shared by the zone and egress gateways.
 */
export function gatewayIdentityAndConfig(
  name: string,
  g: { resourceName: string; labels: Record<string, string>; spiffeId: string; envoyYaml: string; artifact: string },
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ConfigMap {
  new k8s.core.v1.ServiceAccount(
    `${name}-sa`,
    { metadata: { name: g.resourceName, namespace: SYSTEM_NAMESPACE, labels: g.labels, annotations: { "ztmesh.io/spiffe-id": g.spiffeId } }, automountServiceAccountToken: false },
    opts,
  );
  return new k8s.core.v1.ConfigMap(
    `${name}-config`,
    {
      metadata: {
        name: `${g.resourceName}-envoy`,
        namespace: SYSTEM_NAMESPACE,
        labels: { ...g.labels, [K8S.role]: ROLES.envoyConfig },
        annotations: { [K8S.artifact]: g.artifact },
      },
      data: { [ENVOY_CONFIG_KEY]: g.envoyYaml },
    },
    opts,
  );
}

/** A gateway's Envoy Deployment (surge rollout, zone spread, PDB) in `ztmesh-system`: shared by the zone and egress gateways. */
export function gatewayDeployment(
  name: string,
  g: {
    resourceName: string;
    labels: Record<string, string>;
    selector: Record<string, string>;
    replicas: number;
    envoyYaml: string;
    configMap: k8s.core.v1.ConfigMap;
    failureZones: string[];
    /** The SPIRE issuer, for a gateway that holds an SVID (absent: no socket is mounted, as for TLS passthrough). */
    issuer?: IssuerArgs;
    image?: string;
    resources?: ContainerResources;
    listenerPort: number;
  },
  opts: pulumi.CustomResourceOptions,
): k8s.apps.v1.Deployment {
  const spire = g.issuer ? spireSocketVolume(g.issuer) : undefined;
  return redundantDeployment(
    name,
    {
      metadata: { name: g.resourceName, namespace: SYSTEM_NAMESPACE, labels: g.labels },
      selector: g.selector,
      replicas: g.replicas,
      configHash: configHash(g.envoyYaml),
      failureZones: g.failureZones,
      pod: {
        serviceAccountName: g.resourceName,
        automountServiceAccountToken: false,
        securityContext: restrictedPodSecurityContext(ENVOY_UID),
        terminationGracePeriodSeconds: 30,
        containers: [envoyContainer({ image: g.image ?? ENVOY_IMAGE, listenerPort: g.listenerPort, spireMount: spire?.mount, resources: g.resources ?? ENVOY_RESOURCES })],
        volumes: [{ name: "envoy-config", configMap: { name: g.configMap.metadata.name } }, ...(spire ? [spire.volume] : []), emptyDir("tmp")],
      },
    },
    opts,
  );
}

