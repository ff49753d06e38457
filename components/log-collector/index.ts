/**
 * LogCollector: the zone's audit log pipeline (Vector).
 *
 * - Aggregator StatefulSet (>= 2 replicas, PDB, restricted pods) receiving OPA decision logs
 *   over HTTP and Envoy access logs from the node agents, writing both to the zone's
 *   AuditLogStore through a PVC-backed disk buffer (`when_full: block`), so an outage of the
 *   store loses nothing. Cloud access uses the collector's SPIFFE identity: a spiffe-helper
 *   sidecar keeps a JWT-SVID on disk, exchanged by the cloud SDK inside Vector for a
 *   write-only role (no static credentials).
 * - Agent DaemonSet tailing the Envoy (gateway, data proxy) containers' JSON access logs.
 *   Documented exception to `restricted`: it runs as root with `/var/log` mounted read-only,
 *   in its own namespace labelled `privileged`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { MeshModel } from "../model/model";
import { ArgChecker, show } from "../common/args";
import { K8S, ROLES } from "../conventions";
import { type NetworkPolicy, externalEgress, namespaceBaseline, networkPolicy, tcpPorts } from "../compile/kubernetes";
import type { ZoneNetworkSettings } from "../model/types";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, NAMESPACE_NAME_LABEL, POLICY_ENGINE_APP, SYSTEM_NAMESPACE, appSelector } from "../compile/kubernetes/labels";
import {
  LOG_AGENT_APP,
  LOG_COLLECTOR_APP,
  appLabels,
  httpProbe,
  isDnsLabel,
  isIntIn,
  isPinnedVersion,
  podSecurityLabels,
  resources,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  rootNodeAgentSecurityContext,
  SPIFFE_HELPER_CONFIG_KEY,
  clusterIpService,
  selectorLabels,
  spiffeHelperSidecar,
  toJson,
  zoneSpread,
} from "../k8s";
import {
  COLLECTOR_PATHS,
  COLLECTOR_PORTS,
  ENV,
  MIN_DISK_BUFFER_BYTES,
  type StoreCloud,
  agentConfig,
  aggregatorConfig,
  gcpExternalAccount,
} from "./config";

export * from "./config";

/**
 * Vector versions this component's generated configuration supports.
 *
 * - `azureMin` (0.56.0): the first release whose `azure_blob` sink authenticates with a
 *   workload identity credential that re-reads `AZURE_FEDERATED_TOKEN_FILE`.
 *   Up to 0.49 the sink used the legacy Azure SDK (azure_identity 0.20/0.21), which reads the
 *   token file once (Azure/azure-sdk-for-rust#1739), so once the first Entra token expired
 *   (about 1 h) the rotated JWT-SVID was never used (AADSTS700024). 0.50 dropped every auth
 *   but `connection_string` (vector#23351; 0.50.0 release notes). 0.55.0 brought back
 *   `auth.azure_credential_kind: workload_identity` (vector#24729, commit 30d9a586, listed in
 *   website/cue/reference/releases/0.55.0.cue), backed by the new SDK's
 *   `WorkloadIdentityCredential`, which re-reads the file when its cached copy is older than
 *   600 s (azure-sdk-for-rust sdk/identity/azure_identity/src/workload_identity_credential.rs).
 *   0.56.0 rather than 0.55.0 because the HTTP `GET /health` the probes use was restored by
 *   vector#25234, which is in the 0.56.0 commit list and not in 0.55.0's.
 * - `maxExclusive` (0.57.0): Vector 0.57 no longer interpolates `${VAR}` in config files by
 *   default (0.57.0 release notes), and the config takes the bucket and node name from the
 *   environment.
 */
export const VECTOR_VERSION_SUPPORT = { azureMin: "0.56.0", maxExclusive: "0.57.0" } as const;

/** Default versions and sizes. */
export const LOG_COLLECTOR_DEFAULTS = {
  replicas: 2,
  bufferMaxBytes: 2 * 1024 ** 3,
  vectorVersion: VECTOR_VERSION_SUPPORT.azureMin,
  spiffeHelperVersion: "0.10.0",
  agentNamespace: "ztmesh-log-agent",
  accessLogSelector: `${K8S.role} in (${ROLES.gateway},${ROLES.dataProxy})`,
  serviceName: "ztmesh-log-collector",
} as const;

/** Default token audiences of the cloud token exchanges. */
export const TOKEN_AUDIENCES: Record<Exclude<StoreCloud, "gcp">, string> = {
  aws: "sts.amazonaws.com",
  azure: "api://AzureADTokenExchange",
};

/** The zone's AuditLogStore, as the collector sees it. */
export interface AuditLogStoreTarget {
  /** The store's cloud; for a cloud zone it must be the zone's cloud (logs stay where they are produced). */
  cloud: StoreCloud;
  /** Bucket (S3, GCS) or container (Azure) name. */
  bucket: pulumi.Input<string>;
  /**
   * AWS region of the bucket.
   * @default the zone's region for an `aws` zone (required otherwise)
   */
  region?: string;
  /** Azure storage account name (required for `azure`). */
  account?: string;
  /**
   * Azure tenant id.
   * @default the zone's `azure.tenantId`
   */
  tenantId?: string;
  /**
   * Audience of the JWT-SVID exchanged with the cloud. Required for `gcp` (the workload
   * identity provider's resource name, `//iam.googleapis.com/projects/<n>/locations/global/workloadIdentityPools/<p>/providers/<q>`).
   * @default "sts.amazonaws.com" (aws), "api://AzureADTokenExchange" (azure)
   */
  audience?: string;
}

export interface LogCollectorArgs {
  /** The mesh model (from `buildMesh`). */
  model: MeshModel;
  /** Id of the zone (cluster); must be a zone of the model. */
  zone: string;
  /** Where the logs go. */
  store: AuditLogStoreTarget;
  /**
   * The write-only cloud principal federated to the collector's SPIFFE ID: an AWS role ARN
   * (aws), a user-assigned identity client id (azure). For gcp it is optional and only annotates
   * the ServiceAccount: access is granted to the federated principal directly (no impersonation).
   */
  cloudPrincipal?: pulumi.Input<string>;
  /**
   * Namespace of the aggregator. `ztmesh-system` (the default) is the platform's and already
   * has its default-deny policies; any other namespace is created here with them.
   * @default "ztmesh-system"
   */
  namespace?: string;
  /**
   * Namespace of the node agents (created here, Pod Security `privileged`: hostPath `/var/log`).
   * @default "ztmesh-log-agent"
   */
  agentNamespace?: string;
  /**
   * Aggregator replicas; at least 2.
   * @default 2
   */
  replicas?: number;
  /**
   * Disk buffer size per store sink (decision logs, access logs), in bytes; at least 268435488.
   * Each replica's PVC holds both buffers plus 1 GiB.
   * @default 2147483648 (2 GiB)
   */
  bufferMaxBytes?: number;
  /**
   * StorageClass of the buffer PVCs.
   * @default the cluster's default StorageClass
   */
  storageClassName?: string;
  /**
   * Label selector (Kubernetes syntax) of the pods whose logs are Envoy access logs.
   * @default "ztmesh.io/role in (gateway,data-proxy)"
   */
  accessLogSelector?: string;
  /**
   * Vector version (`timberio/vector:<v>-distroless-libc`), below 0.57.0 (which stops
   * interpolating the `${VAR}` references the config uses). For an `azure` store at least
   * 0.56.0: older `azure_blob` sinks either reuse the first federated token forever (<= 0.49,
   * Azure/azure-sdk-for-rust#1739: writes fail about an hour after start) or accept only a
   * connection string with a key or SAS (0.50 to 0.54, vector#23351). See
   * {@link VECTOR_VERSION_SUPPORT} for the sources.
   * @default "0.56.0"
   */
  vectorVersion?: string;
  /**
   * spiffe-helper version.
   * @default "0.10.0"
   */
  spiffeHelperVersion?: string;
  /**
   * CSI driver that mounts the SPIRE Workload API socket (the IdentityIssuer's `csiDriver`).
   * @default "csi.spiffe.io"
   */
  workloadApiCsiDriver?: string;
}

interface Resolved {
  zone: string;
  cloud: StoreCloud;
  region?: string;
  account?: string;
  tenantId?: string;
  audience: string;
  namespace: string;
  agentNs: string;
  replicas: number;
  bufferBytes: number;
  selector: string;
  vectorVersion: string;
  helperVersion: string;
  csiDriver: string;
}

export class LogCollector extends pulumi.ComponentResource {
  /** In-cluster URL OPA sends decision logs to (`decision_logs` service URL; resource `/logs`). */
  readonly decisionLogUrl: string;
  /** Namespace of the aggregator. */
  readonly namespace: string;
  /** The aggregator's ServiceAccount name (its SPIFFE ID is federated to the cloud principal). */
  readonly serviceAccountName: string;
  /** The aggregator's SPIFFE ID. */
  readonly spiffeId: string;
  /** The aggregator StatefulSet. */
  readonly aggregator: k8s.apps.v1.StatefulSet;

  constructor(name: string, args: LogCollectorArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ztmesh:log-collector:LogCollector", name, {}, opts);
    const r = validate(name, args);
    const parent = { parent: this };
    const svcName = LOG_COLLECTOR_DEFAULTS.serviceName;
    this.namespace = r.namespace;
    this.serviceAccountName = svcName;
    this.spiffeId = `spiffe://${args.model.trustDomain}/ns/${r.namespace}/sa/${svcName}`;
    this.decisionLogUrl = `http://${svcName}.${r.namespace}.svc.cluster.local:${COLLECTOR_PORTS.decisionLogs}`;

    const common = { instance: name, zone: r.zone, role: ROLES.collector, version: r.vectorVersion };
    const aggLabels = appLabels({ ...common, app: LOG_COLLECTOR_APP, component: "aggregator" });
    const agentLabels = appLabels({ ...common, app: LOG_AGENT_APP, component: "agent" });
    const meta = (n: string, ns: pulumi.Input<string>, labels: Record<string, string>) => ({ name: n, namespace: ns, labels });
    const nsLabels = (level: "restricted" | "privileged") => ({ ...podSecurityLabels(level, "latest"), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [K8S.zone]: r.zone });

    // Namespaces and their policies.
    let ns: pulumi.Input<string> = r.namespace;
    const created: k8s.core.v1.Namespace[] = [];
    if (r.namespace !== SYSTEM_NAMESPACE) {
      const n = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: r.namespace, labels: nsLabels("restricted") } }, parent);
      ns = n.metadata.name;
      created.push(n);
    }
    const agentNs = new k8s.core.v1.Namespace(`${name}-agent-namespace`, { metadata: { name: r.agentNs, labels: nsLabels("privileged") } }, parent);
    for (const p of collectorNetworkPolicies(r, aggLabels, agentLabels, args.model.zones.find((z) => z.id === r.zone)?.network)) {
      const inAgentNs = p.metadata.namespace === r.agentNs;
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${inAgentNs ? "agent" : "collector"}-${p.metadata.name}`,
        { metadata: { ...p.metadata, namespace: inAgentNs ? agentNs.metadata.name : ns }, spec: p.spec },
        parent,
      );
    }

    // Aggregator identity: no API token; the SPIFFE ID carries the cloud principal.
    const annotations: Record<string, pulumi.Input<string>> = { "ztmesh.io/spiffe-id": this.spiffeId };
    if (args.cloudPrincipal !== undefined) annotations["ztmesh.io/cloud-principal"] = args.cloudPrincipal;
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { ...meta(svcName, ns, aggLabels), annotations }, automountServiceAccountToken: false },
      { parent: this, dependsOn: created },
    );

    const helper = spiffeHelperSidecar({
      image: `ghcr.io/spiffe/spiffe-helper:${r.helperVersion}`,
      audience: r.audience,
      socket: {
        path: `${COLLECTOR_PATHS.workloadApi}/agent.sock`,
        volume: { name: "workload-api", csi: { driver: r.csiDriver, readOnly: true } },
        mount: { name: "workload-api", mountPath: COLLECTOR_PATHS.workloadApi, readOnly: true },
      },
      configVolume: "config",
      healthPort: COLLECTOR_PORTS.helperHealth,
    });
    const data: Record<string, string> = {
      "vector.json": toJson(aggregatorConfig({ zone: r.zone, store: { cloud: r.cloud, region: r.region, account: r.account }, bufferBytes: r.bufferBytes })),
      [SPIFFE_HELPER_CONFIG_KEY]: toJson(helper.config),
    };
    const env: k8s.types.input.core.v1.EnvVar[] = [{ name: ENV.bucket, value: args.store.bucket }];
    if (r.cloud === "gcp") {
      data["gcp-credentials.json"] = toJson(gcpExternalAccount(r.audience));
    } else if (r.cloud === "aws") {
      env.push({ name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: COLLECTOR_PATHS.token }, { name: "AWS_REGION", value: r.region });
      if (args.cloudPrincipal !== undefined) env.push({ name: "AWS_ROLE_ARN", value: args.cloudPrincipal });
      env.push({ name: "AWS_ROLE_SESSION_NAME", value: svcName });
    } else {
      env.push({ name: "AZURE_FEDERATED_TOKEN_FILE", value: COLLECTOR_PATHS.token }, { name: "AZURE_TENANT_ID", value: r.tenantId });
      if (args.cloudPrincipal !== undefined) env.push({ name: "AZURE_CLIENT_ID", value: args.cloudPrincipal });
    }
    const cm = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: meta(`${svcName}-config`, ns, aggLabels), data }, { parent: this, dependsOn: created });

    const aggSelector = selectorLabels(aggLabels);
    const vectorPort = { name: "vector", port: COLLECTOR_PORTS.vector };
    new k8s.core.v1.Service(
      `${name}-service`,
      clusterIpService(meta(svcName, ns, aggLabels), aggSelector, [{ name: "decision-logs", port: COLLECTOR_PORTS.decisionLogs }, vectorPort]),
      { parent: this, dependsOn: created },
    );
    const headless = new k8s.core.v1.Service(
      `${name}-headless`,
      clusterIpService(meta(`${svcName}-headless`, ns, aggLabels), aggSelector, [vectorPort], { headless: true }),
      { parent: this, dependsOn: created },
    );

    const pvcGi = Math.ceil((2 * r.bufferBytes) / 1024 ** 3) + 1;
    this.aggregator = new k8s.apps.v1.StatefulSet(
      `${name}-aggregator`,
      {
        metadata: meta(svcName, ns, aggLabels),
        spec: {
          replicas: r.replicas,
          serviceName: headless.metadata.name,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: aggSelector },
          template: {
            metadata: { labels: aggLabels },
            spec: {
              serviceAccountName: sa.metadata.name,
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(),
              topologySpreadConstraints: zoneSpread(aggSelector),
              terminationGracePeriodSeconds: 60,
              containers: [
                {
                  name: "vector",
                  image: `timberio/vector:${r.vectorVersion}-distroless-libc`,
                  args: ["--config", `${COLLECTOR_PATHS.config}/vector.json`],
                  env,
                  ports: [
                    { name: "decision-logs", containerPort: COLLECTOR_PORTS.decisionLogs, protocol: "TCP" },
                    { name: "vector", containerPort: COLLECTOR_PORTS.vector, protocol: "TCP" },
                    { name: "api", containerPort: COLLECTOR_PORTS.api, protocol: "TCP" },
                  ],
                  livenessProbe: httpProbe("/health", "api", { initialDelaySeconds: 10 }),
                  readinessProbe: httpProbe("/health", "api"),
                  resources: resources({ cpuRequest: "200m", memoryRequest: "256Mi", cpuLimit: "1", memoryLimit: "1Gi" }),
                  securityContext: restrictedContainerSecurityContext(),
                  volumeMounts: [
                    { name: "config", mountPath: COLLECTOR_PATHS.config, readOnly: true },
                    { name: "data", mountPath: COLLECTOR_PATHS.data },
                    helper.identityMount,
                  ],
                },
                helper.container,
              ],
              volumes: [{ name: "config", configMap: { name: cm.metadata.name } }, ...helper.volumes],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: `${pvcGi}Gi` } },
                ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
              },
            },
          ],
        },
      },
      { parent: this, dependsOn: created },
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata: meta(svcName, ns, aggLabels), spec: { minAvailable: r.replicas - 1, selector: { matchLabels: aggSelector } } },
      { parent: this, dependsOn: created },
    );

    // Node agents.
    const agentSa = new k8s.core.v1.ServiceAccount(`${name}-agent-sa`, { metadata: meta(LOG_AGENT_APP, agentNs.metadata.name, agentLabels), automountServiceAccountToken: true }, parent);
    const agentRole = new k8s.rbac.v1.ClusterRole(
      `${name}-agent-clusterrole`,
      { metadata: { name: `ztmesh-${r.zone}-log-agent`, labels: agentLabels }, rules: [{ apiGroups: [""], resources: ["pods", "namespaces", "nodes"], verbs: ["get", "list", "watch"] }] },
      parent,
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-agent-clusterrolebinding`,
      {
        metadata: { name: `ztmesh-${r.zone}-log-agent`, labels: agentLabels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: agentRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: agentSa.metadata.name, namespace: agentNs.metadata.name }],
      },
      parent,
    );
    const agentCm = new k8s.core.v1.ConfigMap(
      `${name}-agent-config`,
      {
        metadata: meta(`${LOG_AGENT_APP}-config`, agentNs.metadata.name, agentLabels),
        data: { "vector.json": toJson(agentConfig({ aggregatorAddress: `${svcName}.${r.namespace}.svc.cluster.local:${COLLECTOR_PORTS.vector}`, labelSelector: r.selector })) },
      },
      parent,
    );
    const agentSelector = selectorLabels(agentLabels);
    new k8s.apps.v1.DaemonSet(
      `${name}-agent`,
      {
        metadata: meta(LOG_AGENT_APP, agentNs.metadata.name, agentLabels),
        spec: {
          selector: { matchLabels: agentSelector },
          updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels: agentLabels },
            spec: {
              serviceAccountName: agentSa.metadata.name,
              automountServiceAccountToken: true,
              securityContext: { seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "vector",
                  image: `timberio/vector:${r.vectorVersion}-distroless-libc`,
                  args: ["--config", `${COLLECTOR_PATHS.config}/vector.json`],
                  env: [{ name: ENV.nodeName, valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                  ports: [{ name: "api", containerPort: COLLECTOR_PORTS.api, protocol: "TCP" }],
                  livenessProbe: httpProbe("/health", "api", { initialDelaySeconds: 10 }),
                  readinessProbe: httpProbe("/health", "api"),
                  resources: resources({ cpuRequest: "50m", memoryRequest: "64Mi", cpuLimit: "500m", memoryLimit: "256Mi" }),
                  securityContext: rootNodeAgentSecurityContext(),
                  volumeMounts: [
                    { name: "config", mountPath: COLLECTOR_PATHS.config, readOnly: true },
                    { name: "data", mountPath: COLLECTOR_PATHS.data },
                    { name: "var-log", mountPath: "/var/log", readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "config", configMap: { name: agentCm.metadata.name } },
                // Checkpoints survive agent restarts, so nothing is read twice or skipped.
                { name: "data", hostPath: { path: "/var/lib/ztmesh-log-agent", type: "DirectoryOrCreate" } },
                { name: "var-log", hostPath: { path: "/var/log", type: "Directory" } },
              ],
            },
          },
        },
      },
      parent,
    );

    this.registerOutputs({
      decisionLogUrl: this.decisionLogUrl,
      namespace: this.namespace,
      serviceAccountName: this.serviceAccountName,
      spiffeId: this.spiffeId,
    });
  }
}

/**
 * NetworkPolicies: baseline (default-deny, DNS) for every namespace this component creates;
 * the aggregator admits decision logs from the policy engines and events from the agents,
 * and may leave only on 443 to the zone's object storage endpoints (`network.objectStorage`;
 * port-only when unnamed); the agents may reach the aggregator and the Kubernetes API
 * (`network.apiServer`).
 */
export function collectorNetworkPolicies(
  r: Pick<Resolved, "namespace" | "agentNs" | "zone">,
  aggLabels: Record<string, string>,
  agentLabels: Record<string, string>,
  network: ZoneNetworkSettings = {},
): NetworkPolicy[] {
  const agg = { matchLabels: selectorLabels(aggLabels) };
  const agent = { matchLabels: selectorLabels(agentLabels) };
  const ns = (n: string) => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: n } });
  return [
    ...(r.namespace !== SYSTEM_NAMESPACE ? namespaceBaseline(r.namespace, r.zone) : []),
    networkPolicy("allow-ingress-log-collector", r.namespace, r.zone, {
      podSelector: agg,
      policyTypes: ["Ingress"],
      ingress: [
        { from: [{ namespaceSelector: ns(SYSTEM_NAMESPACE), podSelector: appSelector(POLICY_ENGINE_APP) }], ports: tcpPorts([COLLECTOR_PORTS.decisionLogs]) },
        { from: [{ namespaceSelector: ns(r.agentNs), podSelector: agent }], ports: tcpPorts([COLLECTOR_PORTS.vector]) },
      ],
    }),
    networkPolicy("allow-egress-log-collector", r.namespace, r.zone, {
      podSelector: agg,
      policyTypes: ["Egress"],
      egress: [externalEgress(network.objectStorage, [443])],
    }),
    ...namespaceBaseline(r.agentNs, r.zone),
    networkPolicy("allow-egress-log-agent", r.agentNs, r.zone, {
      podSelector: agent,
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: ns(r.namespace), podSelector: agg }], ports: tcpPorts([COLLECTOR_PORTS.vector]) }, externalEgress(network.apiServer, [443, 6443])],
    }),
  ];
}

function validate(name: string, args: LogCollectorArgs): Resolved {
  const d = LOG_COLLECTOR_DEFAULTS;
  const c = new ArgChecker("LogCollector", name);
  const zones = args.model?.zones ?? [];
  const zone = zones.find((z) => z.id === args.zone);
  c.check(zone !== undefined, "zone", `unknown zone ${show(args.zone)}`, `use one of ${zones.map((z) => z.id).join(", ")}`);
  const cloud = args.store?.cloud;
  c.check(["aws", "gcp", "azure"].includes(cloud), "store.cloud", `must be "aws", "gcp" or "azure", got ${show(cloud)}`);
  if (zone && zone.cloud !== "onprem" && ["aws", "gcp", "azure"].includes(cloud)) {
    c.check(cloud === zone.cloud, "store.cloud", `${show(cloud)} differs from zone ${show(zone.id)}'s cloud ${show(zone.cloud)}`, "write a zone's logs to its own cloud's AuditLogStore");
  }
  const region = args.store?.region ?? (zone?.cloud === "aws" ? zone.region : undefined);
  if (cloud === "aws") c.check(typeof region === "string" && region !== "", "store.region", `is required for aws outside an aws zone, got ${show(region)}`);
  if (cloud === "azure") c.check(typeof args.store.account === "string" && /^[a-z0-9]{3,24}$/.test(args.store.account), "store.account", `must be an Azure storage account name, got ${show(args.store.account)}`);
  const tenantId = args.store?.tenantId ?? zone?.azure?.tenantId;
  if (cloud === "azure") c.check(tenantId !== undefined, "store.tenantId", "is required for azure outside an azure zone");
  const audience = args.store?.audience ?? (cloud === "aws" || cloud === "azure" ? TOKEN_AUDIENCES[cloud] : undefined);
  if (cloud === "gcp") {
    c.check(typeof audience === "string" && audience.startsWith("//iam.googleapis.com/"), "store.audience", `must be the workload identity provider name (//iam.googleapis.com/...), got ${show(audience)}`);
  }
  if (cloud === "aws" || cloud === "azure") c.check(args.cloudPrincipal !== undefined, "cloudPrincipal", `is required for ${cloud}`, cloud === "aws" ? "pass the write-only role ARN" : "pass the user-assigned identity's client id");
  const replicas = args.replicas ?? d.replicas;
  c.check(isIntIn(replicas, 2, 50), "replicas", `must be an integer of at least 2, got ${show(replicas)}`, "one collector must be able to fail without losing decision logs");
  const bufferBytes = args.bufferMaxBytes ?? d.bufferMaxBytes;
  c.check(isIntIn(bufferBytes, MIN_DISK_BUFFER_BYTES, 1024 ** 4), "bufferMaxBytes", `must be an integer of at least ${MIN_DISK_BUFFER_BYTES} (Vector's smallest disk buffer), got ${show(bufferBytes)}`);
  const namespace = args.namespace ?? SYSTEM_NAMESPACE;
  const agentNs = args.agentNamespace ?? d.agentNamespace;
  c.check(isDnsLabel(namespace), "namespace", `must be a DNS-1123 label, got ${show(namespace)}`);
  c.check(isDnsLabel(agentNs), "agentNamespace", `must be a DNS-1123 label, got ${show(agentNs)}`);
  c.check(agentNs !== namespace && agentNs !== SYSTEM_NAMESPACE, "agentNamespace", `must be its own namespace, got ${show(agentNs)}`, "the agent's namespace is privileged");
  for (const [k, v] of [["vectorVersion", args.vectorVersion], ["spiffeHelperVersion", args.spiffeHelperVersion]] as const) {
    if (v !== undefined) c.check(isPinnedVersion(v), k, `must be a pinned x.y.z version, got ${show(v)}`);
  }
  const vectorVersion = args.vectorVersion ?? d.vectorVersion;
  if (isPinnedVersion(vectorVersion)) {
    const { azureMin, maxExclusive } = VECTOR_VERSION_SUPPORT;
    c.check(
      compareVersions(vectorVersion, maxExclusive) < 0,
      "vectorVersion",
      `must be below ${maxExclusive}, got ${show(vectorVersion)}`,
      `Vector ${maxExclusive} stops interpolating the \${VAR} references of the generated config`,
    );
    if (cloud === "azure") {
      c.check(
        compareVersions(vectorVersion, azureMin) >= 0,
        "vectorVersion",
        `must be at least ${azureMin} for an azure store, got ${show(vectorVersion)}`,
        "older azure_blob sinks reuse the first federated token (Azure/azure-sdk-for-rust#1739) or need a keyed connection string",
      );
    }
  }
  const selector = args.accessLogSelector ?? d.accessLogSelector;
  c.check(typeof selector === "string" && selector.trim() !== "", "accessLogSelector", `must be a non-empty label selector, got ${show(selector)}`);
  c.done();
  return {
    zone: args.zone,
    cloud,
    region,
    account: args.store.account,
    tenantId,
    audience: audience!,
    namespace,
    agentNs,
    replicas,
    bufferBytes,
    selector,
    vectorVersion,
    helperVersion: args.spiffeHelperVersion ?? d.spiffeHelperVersion,
    csiDriver: args.workloadApiCsiDriver ?? "csi.spiffe.io",
  };
}

/** Orders two `x.y.z` versions (an optional leading `v` and any suffix are ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => (/^v?(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1, 4).map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}
