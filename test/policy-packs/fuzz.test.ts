/**
 * Robustness: every policy handles any shape without throwing (a throw fails the user's whole
 * preview). Random garbage, biased towards the field names and values the policies read, is
 * fed for every resource type the pack handles; the analyzer run must never reject.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { TYPES } from "../../policy-packs/policies/types";
import { PackSession, UNKNOWN, res, type TestResource } from "../helpers/policy-inprocess";

let pack: PackSession;
beforeAll(async () => {
  pack = await PackSession.start();
});
afterAll(() => pack.stop());

const KEYS = [
  "assumeRolePolicy", "policy", "inlinePolicies", "Statement", "Effect", "Principal", "Federated", "AWS", "Action", "Resource", "Condition",
  "StringEquals", "StringLike", "Bool", "Sid", "attributeCondition", "oidc", "allowedAudiences", "subject", "audiences", "issuer",
  "claimsMatchingExpression", "member", "members", "role", "policyData", "bindings", "allowSharedKeyAccess", "roleDefinitionId",
  "spec", "podSelector", "matchLabels", "ingress", "from", "ipBlock", "cidr", "except", "policyTypes", "type", "selector",
  "cidrBlocks", "ipv6CidrBlocks", "cidrIpv4", "cidrIpv6", "tags", "labels", "description", "securityRules", "sourceAddressPrefix",
  "sourceAddressPrefixes", "direction", "access", "properties", "sourceRanges", "sourceTags", "allows", "targetTags", "disabled",
  "metadata", "data", "replicas", "template", "containers", "readinessProbe", "httpGet", "path", "topologySpreadConstraints",
  "topologyKey", "acl", "accessControlPolicy", "grants", "grantee", "uri", "blockPublicAcls", "publicAccessPrevention",
  "uniformBucketLevelAccess", "allowBlobPublicAccess", "publicAccess", "bucket", "objectLockEnabled", "rule", "rules",
  "defaultRetention", "mode", "days", "years", "versioningConfiguration", "status", "applyServerSideEncryptionByDefault",
  "sseAlgorithm", "kmsMasterKeyId", "retentionPolicy", "retentionPeriod", "isLocked", "versioning", "enabled", "encryption",
  "defaultKmsKeyName", "accountName", "immutabilityPeriodSinceCreationInDays", "isVersioningEnabled", "keySource",
  "minimumTlsVersion", "enableHttpsTrafficOnly", "immutableStorageWithVersioning", "immutabilityPolicy", "minAvailable",
  "static_resources", "listeners", "filter_chains", "filterChains", "filters", "name", "typed_config", "typedConfig", "@type",
  "http_filters", "transport_socket", "require_client_certificate", "failure_mode_allow", "shadow_rules", "common_tls_context",
  "tls_params", "tls_minimum_protocol_version", "bundles", "signing", "keyid", "keys", "decision_logs", "service", "console",
  "plugins", "envoy_ext_authz_grpc", "dry-run", "owner", "sensitivity", "residency", "region", "cloud", "consumers", "policyManifest",
  "ztmesh.io/role", "ztmesh-role", "app.kubernetes.io/name", "namespace", "valueOf", "toString", "__proto__", "constructor",
  "egress", "to", "destinationRanges", "destinationAddressPrefix", "destinationAddressPrefixes", "image", "args", "command", "volumes",
  "volumeMounts", "mountPath", "subPath", "configMap", "secret", "secretName", "projected", "sources", "items", "key", "initContainers",
  "stringData", "binaryData", "listener_filters", "filter_chain_match", "server_names", "address", "socket_address",
  "additional_addresses", "default_filter_chain", "dynamic_resources", "lds_config", "ads", "resources", "matchExpressions",
  "operator", "values", "maxUnavailable", "envoy.ext_authz.grpc", "dry_run",
  "typed_per_filter_config", "route_config", "virtual_hosts", "routes", "route", "weighted_clusters", "clusters", "rbac", "upgrade_configs",
  "upgrade_type", "connect_matcher", "cluster_type",
  // managed data services and encryption at rest
  "publiclyAccessible", "vpcOptions", "subnetIds", "domainEndpointOptions", "enforceHttps", "tlsSecurityPolicy", "nodeToNodeEncryption",
  "accessPolicies", "transitEncryptionEnabled", "transitEncryptionMode", "authToken", "userGroupIds", "replicationGroupId", "tlsEnabled",
  "encryptionInfo", "encryptionInTransit", "clientBroker", "inCluster", "brokerNodeGroupInfo", "connectivityInfo", "engine", "engineVersion",
  "parameterGroupName", "dbClusterParameterGroupName", "clusterParameterGroupName", "parameters", "value", "storageEncrypted", "kmsKeyId",
  "kmsKeyArn", "serverSideEncryption", "encryptAtRest", "atRestEncryptionEnabled", "encryptionAtRestKmsKeyArn", "encryptionType", "keyId",
  "replicateSourceDb", "engineMode", "encrypted", "serverSideEncryptionConfiguration", "publicNetworkAccess", "minimalTlsVersion",
  "startIpAddress", "endIpAddress", "startIP", "endIP", "network", "delegatedSubnetResourceId", "configurationName", "enableNonSslPort",
  "subnetId", "clientProtocol", "networkAcls", "defaultAction", "enablePurgeProtection", "dataEncryption", "primaryKeyURI", "keyVaultKeyUri",
  "serverName", "serverKeyType", "settings", "ipConfiguration", "ipv4Enabled", "authorizedNetworks", "sslMode", "requireSsl", "authEnabled",
  "accesses", "specialGroup", "iamMember", "datasetId", "defaultEncryptionConfiguration", "encryptionConfiguration", "kmsKeyName",
  "customerManagedKey", "replication", "auto", "userManaged", "replicas", "customerManagedEncryption", "encryptionConfig", "kmsKeyNames",
  "encryptionKeyName",
];
const WORDS = [
  "*", "?", "0.0.0.0/0", "::/0", "0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8", "1.2.3.4/33", "::", "::ffff:1.2.3.4/96", "2000::/3", "Allow",
  "Deny", "Inbound", "Internet", "INGRESS", "ingress", "LoadBalancer", "TLSv1_0", "TLSv1_3", "TLS_AUTO", "COMPLIANCE", "Enabled",
  "aws:kms", "gateway", "envoy", "opa-config", "data-product", "audit-log-store", "ztmesh-gateway", "ztmesh-policy-engine",
  "roles/owner", "roles/iam.workloadIdentityUser", "allUsers", "public-read", "sts:AssumeRoleWithWebIdentity",
  "arn:aws:iam::1:oidc-provider/x", "principalSet://iam.googleapis.com/projects/1/workloadIdentityPools/p/*", "https://x", "http://x",
  "api://AzureADTokenExchange", "/health?bundles", "topology.kubernetes.io/zone", "envoy.filters.http.router",
  "envoy.filters.http.ext_authz", "envoy.filters.http.rbac", "envoy.filters.network.http_connection_manager", "ALLOW", "DENY",
  "eu", "eu-west-1", "high", "spiffe://x/*", "{", "[]", "null", "true", "{\"Statement\":5}", UNKNOWN,
  "openpolicyagent/opa:1.4.2-envoy", "openpolicyagent/opa@sha256:0", "envoyproxy/envoy:v1.37.5", "--config-file=/config/config.yaml", "-c",
  "--config-path", "/config", "/config/config.yaml", "--set=plugins.envoy_ext_authz_grpc.dry-run=true", "--set", "a.b=1,c", "--skip-verify",
  "--config-yaml", "127.0.0.1", "::1", "EGRESS", "Outbound", "envoy.filters.listener.tls_inspector", "envoy.filters.network.tcp_proxy",
  "envoy.filters.network.sni_dynamic_forward_proxy", "CONNECT", "envoy.clusters.dynamic_forward_proxy",
  "type.googleapis.com/envoy.config.route.v3.FilterConfig", "In", "NotIn", "Exists", "egress-gateway", "100%", "0%",
  "postgres", "mysql", "aurora-postgresql", "sqlserver-se", "valkey", "serverless", "rds.force_ssl", "require_secure_transport", "require_ssl",
  "tls", "disabled", "Disabled", "1.2", "Tls12", "TLSv1.1", "0.0.0.0", "255.255.255.255", "SERVICE_PROVIDED_EIPS", "TLS_PLAINTEXT",
  "preferred", "ENCRYPTED_ONLY", "SERVER_AUTHENTICATION", "allAuthenticatedUsers", "alias/aws/rds", "AzureKeyVault", "Microsoft.KeyVault",
  "SecureString", "KMS", "default.postgres14", "Policy-Min-TLS-1-2-2019-07", "Plaintext",
];

const leaf = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const { tree } = fc.letrec<{ tree: unknown; node: unknown }>((tie) => ({
  tree: fc.oneof({ maxDepth: 3, depthIdentifier: "t" }, leaf, tie("node"), tie("node").map((n) => JSON.stringify(n) ?? "")),
  node: fc.oneof(
    { depthIdentifier: "t" },
    fc.array(tie("tree"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("tree"), { maxKeys: 5 }),
  ),
}));
/** Every known key may appear at the top level (each optional), so each run exercises many fields at once. */
const topValue = fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 2, arbitrary: tree });
const inputs = fc.record(Object.fromEntries(KEYS.map((k) => [k, topValue])), { requiredKeys: [] });
const configMapInputs = fc.record({
  metadata: fc.record({ name: fc.string(), labels: fc.oneof(fc.record({ "ztmesh.io/role": fc.constantFrom("envoy", "opa-config", "data-product") }), tree) }),
  data: fc.oneof(
    fc.dictionary(fc.constantFrom("envoy.yaml", "config.yaml", "product.json"), fc.oneof(tree.map((t) => stringify(t)), tree.map((t) => JSON.stringify(t) ?? ""), fc.string())),
    tree,
  ),
});

/** A Secret: the same generated documents, base64-encoded in `data` or plain in `stringData`. */
const secretInputs = configMapInputs.map(({ metadata, data }) => {
  const d = typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const b64 = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === "string" ? Buffer.from(v).toString("base64") : v]));
  return { metadata, data: b64, stringData: data };
});

/**
 * A workload, the ConfigMap it mounts, a NetworkPolicy and a LoadBalancer Service selecting it,
 * with generated contents: the stack policies trace mounts, config files and selectors across them.
 */
const word = fc.constantFrom(...WORDS);
const relatedStack = fc
  .record({
    type: fc.constantFrom(...TYPES.k8sWorkloads),
    image: fc.oneof(word, fc.constantFrom("openpolicyagent/opa:1.4.2-envoy", "envoyproxy/envoy:v1.37.5")),
    args: fc.array(word, { maxLength: 4 }),
    mountPath: fc.oneof(fc.constant("/config"), word),
    subPath: fc.option(word, { nil: undefined }),
    items: fc.option(fc.array(fc.record({ key: word, path: word }), { maxLength: 2 }), { nil: undefined }),
    selector: fc.oneof(fc.constant({ matchLabels: { app: "x" } }), tree),
    cm: configMapInputs,
    np: inputs,
  })
  .map(({ type, image, args, mountPath, subPath, items, selector, cm, np }): TestResource[] => {
    const container = { name: "c", image, args, volumeMounts: [{ name: "v", mountPath, subPath }] };
    const podSpec = { containers: [container], volumes: [{ name: "v", configMap: { name: "c", items } }] };
    const props = type.endsWith(":Pod") ? { metadata: { name: "w", labels: { app: "x" } }, spec: podSpec } : { metadata: { name: "w" }, spec: { template: { metadata: { labels: { app: "x" } }, spec: podSpec } } };
    return [
      res(type, "w", props),
      res(TYPES.k8sConfigMap, "c", { ...cm, metadata: { name: "c" } }),
      res(TYPES.k8sNetworkPolicy, "np", {
        ...(np as Record<string, unknown>),
        spec: { podSelector: selector, egress: (np as Record<string, unknown>).egress, ingress: (np as Record<string, unknown>).ingress },
      }),
      res(TYPES.k8sService, "svc", { spec: { type: "LoadBalancer", selector: (np as Record<string, unknown>).selector ?? { app: "x" } } }),
    ];
  });

const ALL_TYPES = [...new Set(Object.values(TYPES).flatMap((t) => (typeof t === "string" ? [t] : [...t])))];

describe("every policy survives garbage", () => {
  it.each(ALL_TYPES)("%s", async (type) => {
    const gen = type === TYPES.k8sConfigMap ? configMapInputs : type === TYPES.k8sSecret ? secretInputs : inputs;
    await fc.assert(
      fc.asyncProperty(fc.array(gen, { minLength: 1, maxLength: 6 }), async (all) => {
        const resources: TestResource[] = all.map((i, n) => res(type, `r${n}`, i as Record<string, unknown>, { dependsOn: n > 0 ? ["r0"] : [] }));
        const v = await pack.run(resources);
        expect(Array.isArray(v)).toBe(true);
      }),
      { numRuns: Number(process.env.ZTMESH_FUZZ_RUNS ?? 5) },
    );
  });

  it("mixed types in one stack (stack policies relate them)", async () => {
    const typed = fc.constantFrom(...ALL_TYPES).chain((type) => (type === TYPES.k8sConfigMap ? configMapInputs : type === TYPES.k8sSecret ? secretInputs : inputs).map((i) => ({ type, i })));
    await fc.assert(
      fc.asyncProperty(fc.array(typed, { minLength: 2, maxLength: 10 }), async (all) => {
        const resources = all.map(({ type, i }, n) => res(type, `r${n}`, i as Record<string, unknown>, { dependsOn: all.slice(0, n).map((_x, k) => `r${k}`) }));
        expect(Array.isArray(await pack.run(resources))).toBe(true);
      }),
      { numRuns: Number(process.env.ZTMESH_FUZZ_RUNS ?? 5) * 2 },
    );
  });

  it("related workloads, mounted configs and NetworkPolicies (stack policies trace them)", async () => {
    await fc.assert(
      fc.asyncProperty(relatedStack, async (resources) => {
        expect(Array.isArray(await pack.run(resources))).toBe(true);
      }),
      { numRuns: Number(process.env.ZTMESH_FUZZ_RUNS ?? 5) * 4 },
    );
  });

  it("covers every type the policies name", () => {
    expect(ALL_TYPES.length).toBeGreaterThan(40);
  });
});
