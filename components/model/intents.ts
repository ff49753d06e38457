/**
 * `intents.json`: the intents one domain declared, with every reference resolved to SPIFFE IDs,
 * in the form the conformance checks compare enforcement with. Pure.
 *
 * ```json
 * { "version": 1, "domain": "risk", "trustDomain": "mesh.acme.example",
 *   "intents": [{ "id": "risk#0", "kind": "data", "source": "spiffe://.../ns/risk/sa/risk-engine",
 *                 "destination": "trading/trades", "host": "spiffe://.../ns/trading/sa/trades-proxy",
 *                 "access": ["read"] }] }
 * ```
 * `source` is `*` for every workload of the trust domain; `host` is the SPIFFE ID that serves
 * the destination (the service, or the data product's proxy); `dnsHost` the service's
 * in-cluster name (calls); `sourceKey`/`sourceZone` and `destinationWorkload`/`destinationZone`
 * the workloads (`<domain>/<name>`; a product's proxy) and zones at both ends, as the
 * NetworkPolicies select them; `methods`/`paths` for calls, `access` for data. It lists the intents
 * the domain declared and those other domains declared towards it. Sorted by `id`; lists sorted.
 * Written compact (see {@link intentsJson}): it grows with the intents and a ConfigMap holds 1 MiB.
 */
import type { MeshModel } from "./model";
import type { DataAccess, HttpMethod } from "./types";

/** One resolved intent of `intents.json`: what the domain declared, with identities resolved. */
export interface ResolvedIntentEntry {
  /** `<domain>#<index>` of the declaring intent. */
  id: string;
  kind: "call" | "data";
  /** The source's SPIFFE ID, or `*` (every workload of the trust domain). */
  source: string;
  /** The source workload's key `<domain>/<name>`, or `*`. */
  sourceKey: string;
  /** The source workload's zone (absent for `*`). */
  sourceZone?: string;
  /** The destination key `<domain>/<name>`. */
  destination: string;
  /** Key of the workload serving the destination: the service, or the data product's proxy. */
  destinationWorkload: string;
  /** The destination's zone. */
  destinationZone: string;
  /** The destination's SPIFFE ID: the service's, or the data product proxy's. */
  host: string;
  /** Call intents: the service's in-cluster DNS name (`<name>.<namespace>.svc.cluster.local`). */
  dnsHost?: string;
  /** Call intents: methods allowed. */
  methods?: HttpMethod[];
  /** Call intents: path prefixes allowed. */
  paths?: string[];
  /** Data intents: access allowed. */
  access?: DataAccess[];
}

/** The `intents.json` of a domain (ConfigMap labelled `ztmesh.io/role: intents`). */
export interface IntentsDocument {
  version: 1;
  domain: string;
  trustDomain: string;
  /** Intents the domain declared, sorted by id. */
  intents: ResolvedIntentEntry[];
}


/** The intents `domain` declared, resolved. */
export function domainIntents(model: MeshModel, domain: string): IntentsDocument {
  const intents: ResolvedIntentEntry[] = [];
  for (const i of model.intents) {
    // What the domain declared, and what others declared towards it (both shape its enforcement).
    if (i.domain !== domain && !i.to.startsWith(`${domain}/`)) continue;
    const source = i.source.kind === "any" ? "*" : i.source.spiffeId;
    const from = i.source.kind === "any" ? undefined : model.services.get(i.source.key);
    const where = { sourceKey: from?.key ?? "*", ...(from ? { sourceZone: from.zone } : {}) };
    if (i.kind === "call") {
      const svc = model.services.get(i.to);
      intents.push({
        id: i.id,
        kind: "call",
        source,
        ...where,
        destination: i.to,
        destinationWorkload: i.to,
        destinationZone: svc?.zone ?? "",
        host: svc?.spiffeId ?? "",
        dnsHost: svc?.host ?? "",
        methods: [...i.methods].sort(),
        paths: [...i.paths].sort(),
      });
    } else {
      const product = model.dataProducts.get(i.to);
      intents.push({
        id: i.id,
        kind: "data",
        source,
        ...where,
        destination: i.to,
        destinationWorkload: product?.proxy.key ?? "",
        destinationZone: product?.zone ?? "",
        host: product?.proxy.spiffeId ?? "",
        access: [...i.access].sort(),
      });
    }
  }
  intents.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { version: 1, domain, trustDomain: model.trustDomain, intents };
}

/**
 * The Kubernetes API server's limit on a ConfigMap's data (keys and values together): 1 MiB
 * (`MaxSecretSize`, k8s.io/kubernetes pkg/apis/core/validation, shared by ConfigMaps and Secrets).
 */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/** The ConfigMap key of the intents document. */
export const INTENTS_FILE = "intents.json";

/**
 * `intents.json` as written into the ConfigMap: compact JSON with a trailing newline. Machines
 * read it (the policy pack's conformance checks, operators' `jq`), and compact is about 30% smaller
 * than pretty-printed, so a domain fits some 40% more intents within the ConfigMap limit
 * (some 3,000 intents of 330 bytes each).
 */
export function intentsJson(doc: IntentsDocument): string {
  return `${JSON.stringify(doc)}\n`;
}

/** The bytes `intents.json` of this text takes in its ConfigMap (key and value, as the API server counts). */
export function intentsConfigMapBytes(text: string): number {
  return Buffer.byteLength(INTENTS_FILE) + Buffer.byteLength(text);
}
