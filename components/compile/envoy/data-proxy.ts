/**
 * The data proxy: one Envoy per data product, the only path to its store. L4: downstream
 * mTLS on the mesh port, network ext_authz (OPA, fail closed), RBAC ALLOW for the product's
 * consumers, RBAC DENY for whole-product deny rules, the engine's protocol filter where Envoy
 * has one, then tcp_proxy to the store.
 *
 * Encryption to the store: object stores see the consumer's own TLS connection, end to end (the
 * consumer calls the store by its real name, which its pod maps to its proxy, and the data proxy
 * forwards the unopened stream); PostgreSQL gets TLS from the proxy (the Postgres filter's
 * `upstream_ssl: REQUIRE` over a STARTTLS transport socket, verified against the system CAs or
 * `storeCaFile`). MySQL is the one plaintext hop: Envoy's MySQL filter cannot originate TLS, so
 * the store's network (NetworkPolicy to the store CIDR, the cloud firewall admitting only the
 * proxy) is its compensating control (README, "Plaintext exceptions").
 */
import type { DataProduct, MeshModel } from "../../model/model";
import type { DataEngine } from "../../model/types";
import {
  bootstrap,
  downstreamMtls,
  jsonAccessLog,
  mtlsListener,
  policyEngineCluster,
  policyEngineGrpc,
  resolveOptions,
  singleHostCluster,
  spireAgentCluster,
  TCP_LOG_FORMAT,
  networkExtAuthzFilter,
  networkRbacFilter,
} from "./common";
import { FILTER, SYSTEM_CA_BUNDLE, TYPE_URL, dataProxyListenerPort, storeClusterName } from "./names";
import { compileNetworkAllowRules, compileNetworkDenyRules } from "./rbac";
import type {
  Cluster,
  EnvoyBootstrap,
  EnvoyCompileOptions,
  NamedFilter,
  NetworkRbac,
  TcpProxy,
  UpstreamTlsContext,
} from "./types";

/** Options of {@link compileDataProxy}. */
export interface DataProxyOptions extends EnvoyCompileOptions {
  /** Host of the store endpoint, overriding the engine's default (see {@link storeEndpoint}). */
  storeHost?: string;
  /** CA bundle verifying a PostgreSQL store's certificate. @default the system CAs of the Envoy image */
  storeCaFile?: string;
}

/** Where the proxy forwards to. */
export interface StoreEndpoint {
  host: string;
  port: number;
  /** Whether the store is an object store spoken to in TLS end to end by the consumer (the proxy forwards it unopened). */
  tls: boolean;
}

/** Name of the extra network RBAC filter carrying DENY rules. */
export const NETWORK_RBAC_DENY_FILTER = "ztmesh.filters.network.rbac_deny";

/**
 * The store endpoint of a product: databases at `location:port` (plain TCP); S3 at the
 * bucket's virtual-hosted regional endpoint; GCS at the bucket's virtual-hosted endpoint
 * `<bucket>.storage.googleapis.com` (one host per bucket, so each maps to its own proxy); Azure Blob at
 * `<location>.blob.core.windows.net` (so `location` must be the storage account); all object
 * stores on 443 with TLS.
 */
export function storeEndpoint(model: MeshModel, product: DataProduct, storeHost?: string): StoreEndpoint {
  const zone = model.zones.find((z) => z.id === product.zone);
  const objectStore = (host: string): StoreEndpoint => ({ host: storeHost ?? host, port: product.port, tls: true });
  switch (product.engine) {
    case "s3": {
      const suffix = zone?.aws?.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
      return objectStore(`${product.location}.s3.${zone?.region ?? "us-east-1"}.${suffix}`);
    }
    case "gcs":
      return objectStore(`${product.location}.storage.googleapis.com`);
    case "blob":
      return objectStore(`${product.location}.blob.core.windows.net`);
    case "postgres":
    case "mysql":
      return { host: storeHost ?? product.location, port: product.port, tls: false };
  }
}

/** The engine's protocol filter, when Envoy has one (postgres, mysql: contrib extensions). */
export function protocolFilter(engine: DataEngine, statPrefix: string): NamedFilter | undefined {
  switch (engine) {
    case "postgres":
      return { name: FILTER.postgres, typed_config: { "@type": TYPE_URL.postgres, stat_prefix: statPrefix, upstream_ssl: "REQUIRE" } };
    case "mysql":
      return { name: FILTER.mysql, typed_config: { "@type": TYPE_URL.mysql, stat_prefix: statPrefix } };
    default:
      return undefined;
  }
}

function storeCluster(product: DataProduct, ep: StoreEndpoint, caFile: string): Cluster {
  const cluster = singleHostCluster(storeClusterName(product.key), ep.host, ep.port, 5000);
  if (product.engine !== "postgres") return cluster; // object stores: the consumer's TLS passes through
  const tls: UpstreamTlsContext = {
    "@type": TYPE_URL.upstreamTls,
    sni: ep.host,
    common_tls_context: {
      tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
      validation_context: {
        trusted_ca: { filename: caFile },
        match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: ep.host } }],
      },
    },
  };
  // Postgres negotiates TLS in its own protocol (SSLRequest): the filter does it, then switches this socket to TLS.
  // `tls_socket_config` is a typed field (UpstreamTlsContext itself), not an Any: no "@type".
  const { "@type": _type, ...tlsSocketConfig } = tls;
  const startTls = { "@type": TYPE_URL.upstreamStartTls, cleartext_socket_config: {}, tls_socket_config: tlsSocketConfig };
  return { ...cluster, transport_socket: { name: FILTER.startTls, typed_config: startTls } };
}

/** The network filters of a product's proxy, in order: ext_authz, RBAC allow, RBAC deny (when any), protocol, tcp_proxy. */
export function dataProxyFilters(model: MeshModel, product: DataProduct): NamedFilter[] {
  const stat = product.key.replace("/", "_");
  const filters: NamedFilter[] = [
    networkExtAuthzFilter(stat, policyEngineGrpc(model.policyEngine.decisionTimeoutMs)),
    networkRbacFilter(stat, compileNetworkAllowRules(model, product.key)),
  ];
  const deny = compileNetworkDenyRules(model, product.key);
  if (Object.keys(deny.policies).length > 0) {
    const cfg: NetworkRbac = { "@type": TYPE_URL.networkRbac, stat_prefix: `${stat}_rbac_deny`, rules: deny };
    filters.push({ name: NETWORK_RBAC_DENY_FILTER, typed_config: cfg });
  }
  const proto = protocolFilter(product.engine, stat);
  if (proto) filters.push(proto);
  const tcp: TcpProxy = {
    "@type": TYPE_URL.tcpProxy,
    stat_prefix: stat,
    cluster: storeClusterName(product.key),
    access_log: jsonAccessLog(product.proxy.name, TCP_LOG_FORMAT),
    idle_timeout: "3600s",
  };
  filters.push({ name: FILTER.tcpProxy, typed_config: tcp });
  return filters;
}

/**
 * Compiles the Envoy bootstrap of the data proxy of product `productKey` (`<domain>/<name>`).
 * The proxy presents the product's `proxy.spiffeId`. Postgres listeners advertise ALPN
 * `postgresql`, so clients can use direct TLS (libpq `sslnegotiation=direct`).
 * @throws Error when the product does not exist in the model.
 */
export function compileDataProxy(model: MeshModel, productKey: string, opts: DataProxyOptions = {}): EnvoyBootstrap {
  const product = model.dataProducts.get(productKey);
  if (!product) throw new Error(`compileDataProxy: data product "${productKey}" is not in the mesh`);
  const o = resolveOptions(product.zone, opts);
  const alpn = product.engine === "postgres" ? ["postgresql"] : undefined;
  const listener = mtlsListener(
    product.proxy.name,
    opts.listenerPort ?? dataProxyListenerPort(product),
    dataProxyFilters(model, product),
    downstreamMtls(model.trustDomain, product.proxy.spiffeId, alpn),
  );
  const clusters = [
    spireAgentCluster(o.spireSocketPath),
    policyEngineCluster(o, model.trustDomain, product.proxy.spiffeId, product.zone),
    storeCluster(product, storeEndpoint(model, product, opts.storeHost), opts.storeCaFile ?? SYSTEM_CA_BUNDLE),
  ];
  return bootstrap(`${product.domain}-${product.proxy.name}`, o.adminPort, listener, clusters, { domain: product.domain, workload: product.key });
}
