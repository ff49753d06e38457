/**
 * IdentityIssuer: the SPIFFE identity issuer of one zone (cluster).
 *
 * - SPIRE server (StatefulSet, PVC for its keys and sqlite datastore; `ha` uses replicas > 1
 *   with an external datastore) with two sidecars sharing its admin socket:
 *   spire-controller-manager (turns ClusterSPIFFEIDs into registration entries) and the OIDC
 *   discovery provider (publishes `/.well-known/openid-configuration` and `/keys` of the
 *   issuer the clouds trust);
 * - SPIRE agent (DaemonSet) exposing the Workload API and SDS on `/run/spire/sockets`, and the
 *   SPIFFE CSI driver that mounts that socket into restricted pods;
 * - RBAC, NetworkPolicies, and the ClusterSPIFFEIDs of the mesh's workloads and system pods.
 *
 * Cross-zone trust: all zones share ONE trust domain, so SPIFFE federation (which is between
 * trust domains) does not apply. Every zone's server instead chains to a shared upstream CA
 * (SPIRE's `disk` UpstreamAuthority, cert and key passed as secret inputs), so an X.509-SVID
 * minted in one zone verifies in every other. Each zone keeps its own JWT signing keys and
 * issuer URL, which the clouds trust one by one.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { MeshModel } from "../model/model";
import { ArgChecker, show } from "../common/args";
import { K8S, ROLES } from "../conventions";
import { type NetworkPolicy, externalEgress, namespaceBaseline, networkPolicy, tcpPorts } from "../compile/kubernetes";
import type { ZoneNetworkSettings } from "../model/types";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../compile/kubernetes/labels";
import {
  appLabels,
  clusterIpService,
  durationSeconds,
  emptyDir,
  httpProbe,
  isDnsLabel,
  isDuration,
  isHttpsUrl,
  isIntIn,
  isPinnedVersion,
  isQuantity,
  podSecurityLabels,
  resources,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  rootNodeAgentSecurityContext,
  selectorLabels,
  toJson,
  zoneSpread,
} from "../k8s";
import {
  AGENT_PATHS,
  BUNDLE_CONFIGMAP,
  type Datastore,
  PORTS,
  PSAT_AUDIENCE,
  SERVER_PATHS,
  controllerManagerConfig,
  oidcProviderConfig,
  spireAgentConfig,
  spireServerConfig,
} from "./config";
import { clusterSpiffeIdCrdSpec, clusterSpiffeIds } from "./registration";

export * from "./config";
export * from "./registration";

/** Name of the SPIFFE CSI driver that mounts the Workload API socket into pods. */
export const CSI_DRIVER_NAME = "csi.spiffe.io";

/** Default image versions (pinned). */
export const IDENTITY_ISSUER_DEFAULTS = {
  spireVersion: "1.12.4",
  controllerManagerVersion: "0.6.2",
  csiDriverVersion: "0.2.7",
  serverNamespace: "spire-server",
  agentNamespace: "spire-system",
  caTtl: "24h",
  x509SvidTtl: "1h",
  jwtSvidTtl: "5m",
  storageSize: "1Gi",
  haReplicas: 3,
} as const;

/** The shared upstream CA every zone's SPIRE server chains to. */
export interface UpstreamAuthorityArgs {
  /** PEM certificate of the CA the server signs its intermediate with. */
  certificate: pulumi.Input<string>;
  /** PEM private key of that CA (stored in a Kubernetes Secret, marked secret in state). */
  privateKey: pulumi.Input<string>;
  /**
   * PEM bundle of the root(s) when `certificate` is itself an intermediate.
   * @default none (the certificate is the root)
   */
  bundle?: pulumi.Input<string>;
}

/** External datastore for `ha` servers. */
export interface ExternalDatastoreArgs {
  /** SQL engine. */
  databaseType: "postgres" | "mysql";
  /** Connection string (a secret: stored in a Kubernetes Secret and expanded by SPIRE from the environment). */
  connectionString: pulumi.Input<string>;
}

export interface IdentityIssuerArgs {
  /** The mesh model (from `buildMesh`); gives the trust domain. */
  model: MeshModel;
  /** Id of the zone (cluster) this issuer serves; must be a zone of the model. */
  zone: string;
  /**
   * The public https URL of this zone's OIDC issuer (JWT `iss`), where the discovery
   * provider is reachable from the clouds, e.g. `https://oidc.aws-eu.mesh.acme.example`.
   */
  issuerUrl: string;
  /** The shared upstream CA (see the component doc). */
  upstreamAuthority: UpstreamAuthorityArgs;
  /**
   * High availability: `replicas` SPIRE servers sharing `datastore` (required), with a PodDisruptionBudget.
   * @default false (one server, sqlite on its PVC)
   */
  ha?: boolean;
  /**
   * SPIRE server replicas; 1 without `ha`, at least 2 with it.
   * @default 1, or 3 with `ha`
   */
  replicas?: number;
  /**
   * External datastore; required with `ha`, not allowed without it.
   * @default none (sqlite on the server's PVC)
   */
  datastore?: ExternalDatastoreArgs;
  /**
   * Cluster name used by k8s_psat node attestation and in registration entries.
   * @default the zone id
   */
  clusterName?: string;
  /**
   * Namespace of the server, controller manager and OIDC provider (Pod Security `restricted`).
   * @default "spire-server"
   */
  serverNamespace?: string;
  /**
   * Namespace of the agent and CSI driver (Pod Security `privileged`: hostPID, hostPath).
   * @default "spire-system"
   */
  agentNamespace?: string;
  /**
   * SPIRE version (server, agent, OIDC discovery provider images).
   * @default "1.12.4"
   */
  spireVersion?: string;
  /**
   * spire-controller-manager version.
   * @default "0.6.2"
   */
  controllerManagerVersion?: string;
  /**
   * SPIFFE CSI driver version.
   * @default "0.2.7"
   */
  csiDriverVersion?: string;
  /**
   * TTL of the server's intermediate CA (`ca_ttl`).
   * @default "24h"
   */
  caTtl?: string;
  /**
   * Default X.509-SVID TTL (`default_x509_svid_ttl`).
   * @default "1h"
   */
  x509SvidTtl?: string;
  /**
   * Default JWT-SVID TTL (`default_jwt_svid_ttl`).
   * @default "5m"
   */
  jwtSvidTtl?: string;
  /**
   * Size of each server's PVC (keys and, without `ha`, the sqlite datastore).
   * @default "1Gi"
   */
  storageSize?: string;
  /**
   * StorageClass of the server PVCs.
   * @default the cluster's default StorageClass
   */
  storageClassName?: string;
  /**
   * Whether to install the ClusterSPIFFEID CustomResourceDefinition (set false when the cluster already has it).
   * @default true
   */
  installCrds?: boolean;
  /**
   * Pod Security Standards version pinned by the namespace labels.
   * @default "latest"
   */
  podSecurityVersion?: string;
}

interface Resolved {
  zone: string;
  trustDomain: string;
  issuerUrl: string;
  clusterName: string;
  serverNs: string;
  agentNs: string;
  replicas: number;
  ha: boolean;
  spireVersion: string;
  cmVersion: string;
  csiVersion: string;
  caTtl: string;
  x509SvidTtl: string;
  jwtSvidTtl: string;
  storageSize: string;
  installCrds: boolean;
  psVersion: string;
}

export class IdentityIssuer extends pulumi.ComponentResource {
  /** The issuer URL (JWT `iss`) the clouds trust. */
  readonly issuerUrl: string;
  /** The SPIFFE trust domain. */
  readonly trustDomain: string;
  /** The SPIFFE bundle endpoint (https_spiffe profile) of this zone, in-cluster. */
  readonly bundleEndpointAddress: string;
  /** Path of the agent's Workload API / SDS socket on every node. */
  readonly agentSocketPath: string;
  /** CSI driver name that mounts the Workload API socket into restricted pods. */
  readonly csiDriver: string;
  /** In-cluster address (`host:port`) of the SPIRE server. */
  readonly serverAddress: string;
  /** Service the OIDC discovery provider listens behind (HTTP; put it behind the ingress serving `issuerUrl`). */
  readonly oidcServiceName: string;
  /** The server StatefulSet. */
  readonly server: k8s.apps.v1.StatefulSet;
  /** The agent DaemonSet. */
  readonly agent: k8s.apps.v1.DaemonSet;

  constructor(name: string, args: IdentityIssuerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ztmesh:identity-issuer:IdentityIssuer", name, {}, opts);
    const r = validate(name, args);
    const parent = { parent: this };

    const serverName = "spire-server";
    const agentName = "spire-agent";
    const serverSvc = `${serverName}.${r.serverNs}.svc`;
    this.issuerUrl = r.issuerUrl;
    this.trustDomain = r.trustDomain;
    this.serverAddress = `${serverSvc}:${PORTS.serverGrpc}`;
    this.bundleEndpointAddress = `https://${serverSvc}:${PORTS.bundleEndpoint}`;
    this.agentSocketPath = AGENT_PATHS.socket;
    this.csiDriver = CSI_DRIVER_NAME;
    this.oidcServiceName = "spire-oidc";

    const common = { instance: name, zone: r.zone, role: ROLES.identityIssuer };
    const serverLabels = appLabels({ ...common, app: "spire-server", component: "server", version: r.spireVersion });
    const agentLabels = appLabels({ ...common, app: "spire-agent", component: "agent", version: r.spireVersion });
    const csiLabels = appLabels({ ...common, app: "spiffe-csi-driver", component: "csi-driver", version: r.csiVersion });
    const meta = (n: string, ns: string, labels: Record<string, string>) => ({ name: n, namespace: ns, labels });

    // Namespaces.
    const nsLabels = (level: "restricted" | "privileged") => ({
      ...podSecurityLabels(level, r.psVersion),
      [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      [K8S.zone]: r.zone,
    });
    const serverNs = new k8s.core.v1.Namespace(`${name}-server-namespace`, { metadata: { name: r.serverNs, labels: nsLabels("restricted") } }, parent);
    // Documented exception: the agent needs hostPID and a hostPath socket dir, the CSI driver a privileged container.
    const agentNs = new k8s.core.v1.Namespace(`${name}-agent-namespace`, { metadata: { name: r.agentNs, labels: nsLabels("privileged") } }, parent);
    const sNs = serverNs.metadata.name;
    const aNs = agentNs.metadata.name;

    const datastorePort = args.datastore ? (args.datastore.databaseType === "postgres" ? 5432 : 3306) : undefined;
    for (const p of issuerNetworkPolicies(r, serverLabels, agentLabels, datastorePort, args.model.zones.find((z) => z.id === r.zone)?.network)) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${p.metadata.namespace === r.serverNs ? "server" : "agent"}-${p.metadata.name}`,
        { metadata: { ...p.metadata, namespace: p.metadata.namespace === r.serverNs ? sNs : aNs }, spec: p.spec },
        parent,
      );
    }

    // Service accounts and RBAC. Both need API tokens: the server reviews agent tokens and
    // the controller manager watches pods; the agent asks the kubelet about pods.
    const serverSa = new k8s.core.v1.ServiceAccount(`${name}-server-sa`, { metadata: meta(serverName, r.serverNs, serverLabels), automountServiceAccountToken: true }, { parent: this, dependsOn: serverNs });
    const agentSa = new k8s.core.v1.ServiceAccount(`${name}-agent-sa`, { metadata: meta(agentName, r.agentNs, agentLabels), automountServiceAccountToken: true }, { parent: this, dependsOn: agentNs });
    const csiSa = new k8s.core.v1.ServiceAccount(`${name}-csi-sa`, { metadata: meta("spiffe-csi-driver", r.agentNs, csiLabels), automountServiceAccountToken: false }, { parent: this, dependsOn: agentNs });

    const serverRole = new k8s.rbac.v1.ClusterRole(
      `${name}-server-clusterrole`,
      {
        metadata: { name: `ztmesh-${r.zone}-spire-server`, labels: serverLabels },
        rules: [
          { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
          { apiGroups: [""], resources: ["pods", "nodes", "namespaces", "endpoints"], verbs: ["get", "list", "watch"] },
          { apiGroups: ["spire.spiffe.io"], resources: ["clusterspiffeids", "clusterstaticentries", "clusterfederatedtrustdomains"], verbs: ["get", "list", "watch", "patch", "update"] },
          { apiGroups: ["spire.spiffe.io"], resources: ["clusterspiffeids/status", "clusterstaticentries/status", "clusterfederatedtrustdomains/status"], verbs: ["get", "patch", "update"] },
        ],
      },
      parent,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-server-clusterrolebinding`,
      {
        metadata: { name: `ztmesh-${r.zone}-spire-server`, labels: serverLabels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: serverRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: serverSa.metadata.name, namespace: sNs }],
      },
      parent,
    );
    const serverNsRole = new k8s.rbac.v1.Role(
      `${name}-server-role`,
      {
        metadata: meta(serverName, r.serverNs, serverLabels),
        rules: [
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
          { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
        ],
      },
      { parent: this, dependsOn: serverNs },
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-server-rolebinding`,
      {
        metadata: meta(serverName, r.serverNs, serverLabels),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: serverNsRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: serverSa.metadata.name, namespace: sNs }],
      },
      parent,
    );
    // The k8sbundle notifier keeps the trust bundle ConfigMap of the agent namespace current.
    const bundleRole = new k8s.rbac.v1.Role(
      `${name}-bundle-role`,
      {
        metadata: meta("spire-server-bundle", r.agentNs, serverLabels),
        rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [BUNDLE_CONFIGMAP], verbs: ["get", "patch", "update"] }],
      },
      { parent: this, dependsOn: agentNs },
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-bundle-rolebinding`,
      {
        metadata: meta("spire-server-bundle", r.agentNs, serverLabels),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: bundleRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: serverSa.metadata.name, namespace: sNs }],
      },
      parent,
    );
    const agentRole = new k8s.rbac.v1.ClusterRole(
      `${name}-agent-clusterrole`,
      {
        metadata: { name: `ztmesh-${r.zone}-spire-agent`, labels: agentLabels },
        rules: [{ apiGroups: [""], resources: ["pods", "nodes", "nodes/proxy"], verbs: ["get"] }],
      },
      parent,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-agent-clusterrolebinding`,
      {
        metadata: { name: `ztmesh-${r.zone}-spire-agent`, labels: agentLabels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: agentRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: agentSa.metadata.name, namespace: aNs }],
      },
      parent,
    );

    // Secrets.
    const upstreamData: Record<string, pulumi.Input<string>> = {
      "tls.crt": args.upstreamAuthority.certificate,
      "tls.key": args.upstreamAuthority.privateKey,
    };
    if (args.upstreamAuthority.bundle !== undefined) upstreamData["bundle.crt"] = args.upstreamAuthority.bundle;
    const upstreamSecret = new k8s.core.v1.Secret(
      `${name}-upstream-ca`,
      { metadata: meta("spire-upstream-ca", r.serverNs, serverLabels), type: "kubernetes.io/tls", stringData: pulumi.secret(upstreamData) },
      { parent: this, dependsOn: serverNs },
    );
    const datastoreEnv = "SPIRE_DATASTORE_CONNECTION_STRING";
    let datastore: Datastore = { kind: "sqlite" };
    let datastoreSecret: k8s.core.v1.Secret | undefined;
    if (args.datastore) {
      datastore = { kind: "external", databaseType: args.datastore.databaseType, connectionStringEnv: datastoreEnv };
      datastoreSecret = new k8s.core.v1.Secret(
        `${name}-datastore`,
        { metadata: meta("spire-datastore", r.serverNs, serverLabels), type: "Opaque", stringData: pulumi.secret({ connectionString: args.datastore.connectionString }) },
        { parent: this, dependsOn: serverNs },
      );
    }

    // Config, built as typed objects and serialized here.
    const className = `ztmesh-${r.zone}`;
    const serverConfig = spireServerConfig({
      trustDomain: r.trustDomain,
      issuerUrl: r.issuerUrl,
      clusterName: r.clusterName,
      agentNamespace: r.agentNs,
      agentServiceAccount: agentName,
      caTtl: r.caTtl,
      x509SvidTtl: r.x509SvidTtl,
      jwtSvidTtl: r.jwtSvidTtl,
      datastore,
      upstreamBundle: args.upstreamAuthority.bundle !== undefined,
    });
    const serverCm = new k8s.core.v1.ConfigMap(
      `${name}-server-config`,
      {
        metadata: meta("spire-server", r.serverNs, serverLabels),
        data: {
          "server.conf": toJson(serverConfig),
          "controller-manager.json": toJson(controllerManagerConfig({ trustDomain: r.trustDomain, clusterName: r.clusterName, namespace: r.serverNs, className })),
          "oidc-discovery-provider.conf": toJson(oidcProviderConfig(r.issuerUrl)),
        },
      },
      { parent: this, dependsOn: serverNs },
    );
    const agentCm = new k8s.core.v1.ConfigMap(
      `${name}-agent-config`,
      {
        metadata: meta("spire-agent", r.agentNs, agentLabels),
        data: { "agent.conf": toJson(spireAgentConfig({ trustDomain: r.trustDomain, clusterName: r.clusterName, serverAddress: serverSvc })) },
      },
      { parent: this, dependsOn: agentNs },
    );
    // Created empty; the server's k8sbundle notifier owns its data.
    const bundleCm = new k8s.core.v1.ConfigMap(
      `${name}-bundle`,
      { metadata: meta(BUNDLE_CONFIGMAP, r.agentNs, serverLabels), data: {} },
      { parent: this, dependsOn: agentNs, ignoreChanges: ["data"] },
    );

    // Services.
    const serverSelector = selectorLabels(serverLabels);
    const grpcPort = { name: "grpc", port: PORTS.serverGrpc };
    new k8s.core.v1.Service(
      `${name}-server-service`,
      clusterIpService(meta(serverName, r.serverNs, serverLabels), serverSelector, [grpcPort, { name: "bundle", port: PORTS.bundleEndpoint }]),
      { parent: this, dependsOn: serverNs },
    );
    const headless = new k8s.core.v1.Service(
      `${name}-server-headless`,
      clusterIpService(meta(`${serverName}-headless`, r.serverNs, serverLabels), serverSelector, [grpcPort], { headless: true }),
      { parent: this, dependsOn: serverNs },
    );
    new k8s.core.v1.Service(
      `${name}-oidc-service`,
      clusterIpService(meta(this.oidcServiceName, r.serverNs, serverLabels), serverSelector, [{ name: "http", port: 80, targetPort: "oidc" }]),
      { parent: this, dependsOn: serverNs },
    );

    // The server pod: SPIRE server + controller manager + OIDC discovery provider.
    const restricted = restrictedContainerSecurityContext();
    const serverEnv: k8s.types.input.core.v1.EnvVar[] = [];
    if (datastoreSecret) {
      serverEnv.push({ name: datastoreEnv, valueFrom: { secretKeyRef: { name: datastoreSecret.metadata.name, key: "connectionString" } } });
    }
    this.server = new k8s.apps.v1.StatefulSet(
      `${name}-server`,
      {
        metadata: meta(serverName, r.serverNs, serverLabels),
        spec: {
          replicas: r.replicas,
          serviceName: headless.metadata.name,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: serverSelector },
          template: {
            metadata: { labels: serverLabels, annotations: { "ztmesh.io/config-hash": pulumi.output(toJson(serverConfig)).apply(hash) } },
            spec: {
              serviceAccountName: serverSa.metadata.name,
              automountServiceAccountToken: true,
              securityContext: restrictedPodSecurityContext(1000),
              topologySpreadConstraints: zoneSpread(serverSelector),
              containers: [
                {
                  name: "spire-server",
                  image: `ghcr.io/spiffe/spire-server:${r.spireVersion}`,
                  args: ["-config", `${SERVER_PATHS.config}/server.conf`, ...(datastoreSecret ? ["-expandEnv"] : [])],
                  env: serverEnv,
                  ports: [
                    { name: "grpc", containerPort: PORTS.serverGrpc, protocol: "TCP" },
                    { name: "bundle", containerPort: PORTS.bundleEndpoint, protocol: "TCP" },
                    { name: "health", containerPort: PORTS.serverHealth, protocol: "TCP" },
                  ],
                  livenessProbe: httpProbe("/live", "health", { initialDelaySeconds: 15, periodSeconds: 60 }),
                  readinessProbe: httpProbe("/ready", "health"),
                  resources: resources({ cpuRequest: "100m", memoryRequest: "256Mi", cpuLimit: "1", memoryLimit: "512Mi" }),
                  securityContext: restricted,
                  volumeMounts: [
                    { name: "config", mountPath: SERVER_PATHS.config, readOnly: true },
                    { name: "data", mountPath: SERVER_PATHS.data },
                    { name: "socket", mountPath: SERVER_PATHS.socketDir },
                    { name: "upstream-ca", mountPath: SERVER_PATHS.upstreamCa, readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
                {
                  name: "spire-controller-manager",
                  image: `ghcr.io/spiffe/spire-controller-manager:${r.cmVersion}`,
                  args: ["--config", `${SERVER_PATHS.config}/controller-manager.json`],
                  // No validating webhook: ClusterSPIFFEIDs are written by Pulumi only, and the
                  // webhook would need its own certificate and a cluster-wide configuration.
                  env: [{ name: "ENABLE_WEBHOOKS", value: "false" }],
                  ports: [{ name: "cm-health", containerPort: PORTS.controllerManagerHealth, protocol: "TCP" }],
                  livenessProbe: httpProbe("/healthz", "cm-health"),
                  readinessProbe: httpProbe("/readyz", "cm-health"),
                  resources: resources({ cpuRequest: "50m", memoryRequest: "64Mi", cpuLimit: "500m", memoryLimit: "256Mi" }),
                  securityContext: restricted,
                  volumeMounts: [
                    { name: "config", mountPath: SERVER_PATHS.config, readOnly: true },
                    { name: "socket", mountPath: SERVER_PATHS.socketDir, readOnly: true },
                  ],
                },
                {
                  name: "oidc-discovery-provider",
                  image: `ghcr.io/spiffe/oidc-discovery-provider:${r.spireVersion}`,
                  args: ["-config", `${SERVER_PATHS.config}/oidc-discovery-provider.conf`],
                  ports: [
                    { name: "oidc", containerPort: PORTS.oidcHttp, protocol: "TCP" },
                    { name: "oidc-health", containerPort: PORTS.oidcHealth, protocol: "TCP" },
                  ],
                  livenessProbe: httpProbe("/live", "oidc-health"),
                  readinessProbe: httpProbe("/ready", "oidc-health"),
                  resources: resources({ cpuRequest: "25m", memoryRequest: "32Mi", cpuLimit: "250m", memoryLimit: "128Mi" }),
                  securityContext: restricted,
                  volumeMounts: [
                    { name: "config", mountPath: SERVER_PATHS.config, readOnly: true },
                    { name: "socket", mountPath: SERVER_PATHS.socketDir, readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "config", configMap: { name: serverCm.metadata.name } },
                { name: "upstream-ca", secret: { secretName: upstreamSecret.metadata.name, defaultMode: 0o400 } },
                emptyDir("socket", "1Mi"),
                emptyDir("tmp"),
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: r.storageSize } },
                ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
              },
            },
          ],
        },
      },
      { parent: this, dependsOn: [serverNs] },
    );
    if (r.ha) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-server-pdb`,
        { metadata: meta(serverName, r.serverNs, serverLabels), spec: { maxUnavailable: 1, selector: { matchLabels: serverSelector } } },
        { parent: this, dependsOn: serverNs },
      );
    }

    // The agent: one per node. Documented exceptions to `restricted`: hostPID (the k8s
    // workload attestor maps a caller's PID to its pod), a hostPath socket directory shared
    // with the CSI driver, and root (to create that socket and read other pods' /proc).
    const agentSelector = selectorLabels(agentLabels);
    this.agent = new k8s.apps.v1.DaemonSet(
      `${name}-agent`,
      {
        metadata: meta(agentName, r.agentNs, agentLabels),
        spec: {
          selector: { matchLabels: agentSelector },
          updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels: agentLabels },
            spec: {
              serviceAccountName: agentSa.metadata.name,
              automountServiceAccountToken: true,
              hostPID: true,
              dnsPolicy: "ClusterFirst",
              securityContext: { seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "spire-agent",
                  image: `ghcr.io/spiffe/spire-agent:${r.spireVersion}`,
                  args: ["-config", `${AGENT_PATHS.config}/agent.conf`],
                  env: [{ name: "MY_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                  ports: [{ name: "health", containerPort: PORTS.agentHealth, protocol: "TCP" }],
                  livenessProbe: httpProbe("/live", "health", { initialDelaySeconds: 15, periodSeconds: 60 }),
                  readinessProbe: httpProbe("/ready", "health"),
                  resources: resources({ cpuRequest: "50m", memoryRequest: "64Mi", cpuLimit: "500m", memoryLimit: "256Mi" }),
                  securityContext: rootNodeAgentSecurityContext(),
                  volumeMounts: [
                    { name: "config", mountPath: AGENT_PATHS.config, readOnly: true },
                    { name: "bundle", mountPath: AGENT_PATHS.bundle, readOnly: true },
                    { name: "token", mountPath: AGENT_PATHS.token, readOnly: true },
                    { name: "sockets", mountPath: AGENT_PATHS.socketDir },
                    { name: "data", mountPath: AGENT_PATHS.data },
                  ],
                },
              ],
              volumes: [
                { name: "config", configMap: { name: agentCm.metadata.name } },
                { name: "bundle", configMap: { name: bundleCm.metadata.name } },
                { name: "token", projected: { sources: [{ serviceAccountToken: { path: PSAT_AUDIENCE, audience: PSAT_AUDIENCE, expirationSeconds: 7200 } }] } },
                { name: "sockets", hostPath: { path: AGENT_PATHS.socketDir, type: "DirectoryOrCreate" } },
                emptyDir("data", "64Mi"),
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [agentNs] },
    );

    // SPIFFE CSI driver: mounts the agent socket dir into pods as a read-only `csi` volume,
    // which the `restricted` profile allows (hostPath it does not). Documented exception:
    // the driver itself must be privileged for bidirectional mount propagation.
    new k8s.storage.v1.CSIDriver(
      `${name}-csi-driver`,
      { metadata: { name: CSI_DRIVER_NAME, labels: csiLabels }, spec: { attachRequired: false, podInfoOnMount: true, fsGroupPolicy: "None", volumeLifecycleModes: ["Ephemeral"] } },
      parent,
    );
    const kubeletDir = "/var/lib/kubelet";
    const csiSelector = selectorLabels(csiLabels);
    new k8s.apps.v1.DaemonSet(
      `${name}-csi-driver-daemonset`,
      {
        metadata: meta("spiffe-csi-driver", r.agentNs, csiLabels),
        spec: {
          selector: { matchLabels: csiSelector },
          template: {
            metadata: { labels: csiLabels },
            spec: {
              serviceAccountName: csiSa.metadata.name,
              automountServiceAccountToken: false,
              containers: [
                {
                  name: "spiffe-csi-driver",
                  image: `ghcr.io/spiffe/spiffe-csi-driver:${r.csiVersion}`,
                  args: ["-workload-api-socket-dir", "/spire-agent-socket", "-plugin-name", CSI_DRIVER_NAME, "-csi-socket-path", "/spiffe-csi/csi.sock"],
                  env: [{ name: "MY_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                  resources: resources({ cpuRequest: "10m", memoryRequest: "16Mi", cpuLimit: "100m", memoryLimit: "64Mi" }),
                  securityContext: { privileged: true, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } },
                  volumeMounts: [
                    { name: "sockets", mountPath: "/spire-agent-socket", readOnly: true },
                    { name: "plugin-dir", mountPath: "/spiffe-csi" },
                    { name: "mountpoint-dir", mountPath: `${kubeletDir}/pods`, mountPropagation: "Bidirectional" },
                  ],
                },
                {
                  name: "node-driver-registrar",
                  image: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.13.0",
                  args: ["-csi-address", "/spiffe-csi/csi.sock", "-kubelet-registration-path", `${kubeletDir}/plugins/${CSI_DRIVER_NAME}/csi.sock`, "-health-port", "9809"],
                  ports: [{ name: "healthz", containerPort: 9809, protocol: "TCP" }],
                  livenessProbe: httpProbe("/healthz", "healthz"),
                  resources: resources({ cpuRequest: "10m", memoryRequest: "16Mi", cpuLimit: "100m", memoryLimit: "64Mi" }),
                  securityContext: rootNodeAgentSecurityContext(),
                  volumeMounts: [
                    { name: "plugin-dir", mountPath: "/spiffe-csi" },
                    { name: "registration-dir", mountPath: "/registration" },
                  ],
                },
              ],
              volumes: [
                { name: "sockets", hostPath: { path: AGENT_PATHS.socketDir, type: "DirectoryOrCreate" } },
                { name: "plugin-dir", hostPath: { path: `${kubeletDir}/plugins/${CSI_DRIVER_NAME}`, type: "DirectoryOrCreate" } },
                { name: "registration-dir", hostPath: { path: `${kubeletDir}/plugins_registry`, type: "Directory" } },
                { name: "mountpoint-dir", hostPath: { path: `${kubeletDir}/pods`, type: "Directory" } },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [agentNs] },
    );

    // Registration: ClusterSPIFFEIDs for mesh workloads and mesh system pods.
    const crd = r.installCrds
      ? new k8s.apiextensions.v1.CustomResourceDefinition(
          `${name}-clusterspiffeid-crd`,
          { metadata: { name: "clusterspiffeids.spire.spiffe.io", labels: serverLabels }, spec: clusterSpiffeIdCrdSpec() },
          parent,
        )
      : undefined;
    for (const [key, spec] of Object.entries(clusterSpiffeIds(className))) {
      new k8s.apiextensions.CustomResource(
        `${name}-spiffeid-${key}`,
        { apiVersion: "spire.spiffe.io/v1alpha1", kind: "ClusterSPIFFEID", metadata: { name: `ztmesh-${r.zone}-${key}`, labels: serverLabels }, spec },
        { parent: this, dependsOn: crd ? [crd] : [] },
      );
    }

    this.registerOutputs({
      issuerUrl: this.issuerUrl,
      trustDomain: this.trustDomain,
      bundleEndpointAddress: this.bundleEndpointAddress,
      agentSocketPath: this.agentSocketPath,
      csiDriver: this.csiDriver,
      serverAddress: this.serverAddress,
      oidcServiceName: this.oidcServiceName,
    });
  }
}

/** A short, stable hash of the server config: a changed config rolls the pods. */
function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/**
 * NetworkPolicies of the issuer's namespaces: default-deny and DNS in both, then
 * - server: gRPC 8081 from the agents; the bundle endpoint 8443 from every pod of the
 *   cluster; the OIDC provider from anywhere (the ingress serving the issuer URL is not
 *   known); egress to the Kubernetes API (443/6443, `network.apiServer`; port-only when
 *   unnamed) and, with an external datastore, to its port (5432/3306, port-only);
 * - agent: egress to the server (8081), the API server (443/6443) and kubelets (10250, `network.nodes`).
 */
export function issuerNetworkPolicies(
  r: Pick<Resolved, "serverNs" | "agentNs" | "zone">,
  serverLabels: Record<string, string>,
  agentLabels: Record<string, string>,
  datastorePort?: number,
  network: ZoneNetworkSettings = {},
): NetworkPolicy[] {
  const server = { matchLabels: selectorLabels(serverLabels) };
  const agent = { matchLabels: selectorLabels(agentLabels) };
  const agentsPeer = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": r.agentNs } }, podSelector: agent };
  const serverPeer = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": r.serverNs } }, podSelector: server };
  const apiPorts = [443, 6443];
  return [
    ...namespaceBaseline(r.serverNs, r.zone),
    networkPolicy("allow-ingress-spire-server", r.serverNs, r.zone, {
      podSelector: server,
      policyTypes: ["Ingress"],
      ingress: [
        { from: [agentsPeer], ports: tcpPorts([PORTS.serverGrpc]) },
        { from: [{ namespaceSelector: {} }], ports: tcpPorts([PORTS.bundleEndpoint]) },
        // The ingress controller serving issuerUrl (TLS) runs in the cluster: no rule without `from`.
        { from: [{ namespaceSelector: {} }], ports: tcpPorts([PORTS.oidcHttp]) },
      ],
    }),
    networkPolicy("allow-egress-spire-server", r.serverNs, r.zone, {
      podSelector: server,
      policyTypes: ["Egress"],
      egress: [externalEgress(network.apiServer, apiPorts), ...(datastorePort ? [{ ports: tcpPorts([datastorePort]) }] : [])],
    }),
    ...namespaceBaseline(r.agentNs, r.zone),
    networkPolicy("allow-egress-spire-agent", r.agentNs, r.zone, {
      podSelector: agent,
      policyTypes: ["Egress"],
      egress: [{ to: [serverPeer], ports: tcpPorts([PORTS.serverGrpc]) }, externalEgress(network.apiServer, apiPorts), externalEgress(network.nodes, [10250])],
    }),
  ];
}

function validate(name: string, args: IdentityIssuerArgs): Resolved {
  const d = IDENTITY_ISSUER_DEFAULTS;
  const c = new ArgChecker("IdentityIssuer", name);
  const zones = args.model?.zones?.map((z) => z.id) ?? [];
  c.check(zones.includes(args.zone), "zone", `unknown zone ${show(args.zone)}`, `use one of ${zones.join(", ")}`);
  c.check(isHttpsUrl(args.issuerUrl), "issuerUrl", `must be an https URL without query or fragment, got ${show(args.issuerUrl)}`, "clouds only trust https OIDC issuers, e.g. https://oidc.<zone>.<your-domain>");
  c.check(args.upstreamAuthority !== undefined, "upstreamAuthority", "is required", "pass the shared upstream CA certificate and private key (secret inputs)");
  const ha = args.ha ?? false;
  const replicas = args.replicas ?? (ha ? d.haReplicas : 1);
  if (ha) {
    c.check(isIntIn(replicas, 2, 9), "replicas", `must be an integer from 2 to 9 with ha, got ${show(replicas)}`, "an HA issuer needs at least 2 servers");
    c.check(args.datastore !== undefined, "datastore", "is required with ha", "SPIRE servers in HA share an external postgres or mysql datastore");
  } else {
    c.check(replicas === 1, "replicas", `must be 1 without ha (sqlite is single-writer), got ${show(replicas)}`, "set ha: true and a datastore for more servers");
    c.check(args.datastore === undefined, "datastore", "is only used with ha", "remove it, or set ha: true");
  }
  if (args.datastore) {
    c.check(["postgres", "mysql"].includes(args.datastore.databaseType), "datastore.databaseType", `must be "postgres" or "mysql", got ${show(args.datastore.databaseType)}`);
  }
  const serverNs = args.serverNamespace ?? d.serverNamespace;
  const agentNs = args.agentNamespace ?? d.agentNamespace;
  c.check(isDnsLabel(serverNs), "serverNamespace", `must be a DNS-1123 label, got ${show(serverNs)}`);
  c.check(isDnsLabel(agentNs), "agentNamespace", `must be a DNS-1123 label, got ${show(agentNs)}`);
  c.check(serverNs !== agentNs, "agentNamespace", `must differ from serverNamespace (${show(serverNs)})`, "the agent's namespace is privileged; the server's stays restricted");
  const clusterName = args.clusterName ?? args.zone;
  c.check(isDnsLabel(clusterName), "clusterName", `must be a DNS-1123 label, got ${show(clusterName)}`);
  const versions: [string, string | undefined][] = [
    ["spireVersion", args.spireVersion],
    ["controllerManagerVersion", args.controllerManagerVersion],
    ["csiDriverVersion", args.csiDriverVersion],
  ];
  for (const [k, v] of versions) if (v !== undefined) c.check(isPinnedVersion(v), k, `must be a pinned x.y.z version, got ${show(v)}`);
  const caTtl = args.caTtl ?? d.caTtl;
  const x509 = args.x509SvidTtl ?? d.x509SvidTtl;
  const jwt = args.jwtSvidTtl ?? d.jwtSvidTtl;
  for (const [k, v] of [["caTtl", caTtl], ["x509SvidTtl", x509], ["jwtSvidTtl", jwt]] as const) {
    c.check(isDuration(v), k, `must be a duration like "1h", "5m", got ${show(v)}`);
  }
  if (isDuration(caTtl) && isDuration(x509)) {
    c.check(durationSeconds(x509) * 2 <= durationSeconds(caTtl), "x509SvidTtl", `${show(x509)} must be at most half of caTtl ${show(caTtl)}`, "SPIRE caps SVIDs at the CA's remaining lifetime");
  }
  const storageSize = args.storageSize ?? d.storageSize;
  c.check(isQuantity(storageSize), "storageSize", `must be a Kubernetes quantity like "1Gi", got ${show(storageSize)}`);
  if (args.podSecurityVersion !== undefined) {
    c.check(/^(latest|v1\.[0-9]+)$/.test(args.podSecurityVersion), "podSecurityVersion", `must be "latest" or "v1.<minor>", got ${show(args.podSecurityVersion)}`);
  }
  c.done();
  return {
    zone: args.zone,
    trustDomain: args.model.trustDomain,
    issuerUrl: args.issuerUrl.replace(/\/$/, ""),
    clusterName,
    serverNs,
    agentNs,
    replicas,
    ha,
    spireVersion: args.spireVersion ?? d.spireVersion,
    cmVersion: args.controllerManagerVersion ?? d.controllerManagerVersion,
    csiVersion: args.csiDriverVersion ?? d.csiDriverVersion,
    caTtl,
    x509SvidTtl: x509,
    jwtSvidTtl: jwt,
    storageSize,
    installCrds: args.installCrds ?? true,
    psVersion: args.podSecurityVersion ?? "latest",
  };
}
