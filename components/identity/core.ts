/**
 * The cloud-independent core of workload identity federation: argument validation and
 * the resolved workload list. Pure: nothing here creates resources.
 */
import { ArgChecker, show } from "../common/args";
import { checkTags, zoneCloud } from "../common/cloud";
import type { IamDocuments } from "../compile/iam";
import { parseSpiffeId, trustDomainPrefix } from "../model/spiffe";
import type { CloudFederation, ResolvedWorkload, WorkloadIdentityFederationArgs } from "./types";

/** The component's type token. */
export const WORKLOAD_IDENTITY_FEDERATION_TYPE = "ztmesh:identity:WorkloadIdentityFederation";

const LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
/** `<domain>/<name>`, both DNS-1123 labels. */
export const WORKLOAD_KEY = new RegExp(`^${LABEL}/${LABEL}$`);
/** A DNS name (the SPIFFE trust domain grammar ztmesh accepts). */
export const TRUST_DOMAIN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/** Problems of an issuer URL, or undefined when it is an https URL without query, fragment or credentials. */
export function issuerProblem(url: unknown): string | undefined {
  if (typeof url !== "string") return `must be an https URL, got ${show(url)}`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `must be an https URL, got ${show(url)}`;
  }
  if (u.protocol !== "https:") return `must use https (tokens from a plain-http issuer can be forged in transit), got ${show(url)}`;
  if (u.search || u.hash || url.includes("?") || url.includes("#")) return `must not have a query or fragment, got ${show(url)}`;
  if (u.username || u.password) return `must not carry credentials, got ${show(url)}`;
  if (url.includes("*")) return `must not contain a wildcard, got ${show(url)}`;
  return undefined;
}

/** `https://host/path/` -> `https://host/path` (the form issuers are compared in). */
export function normalizeIssuer(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The issuer without its scheme: AWS condition keys are `<host/path>:sub`. */
export function issuerHostPath(url: string): string {
  return normalizeIssuer(url).replace(/^https:\/\//, "");
}

/**
 * Validates the arguments (shared checks, then the cloud's own) and returns the resolved
 * workloads. Throws a `ValidationError` listing every problem; creates nothing.
 */
export function resolveFederationArgs(
  name: string,
  args: WorkloadIdentityFederationArgs,
  clouds: Readonly<Record<"aws" | "azure" | "gcp", CloudFederation>>,
): { cloud: CloudFederation; workloads: ResolvedWorkload[]; documents: IamDocuments; audience: string } {
  const c = new ArgChecker("WorkloadIdentityFederation", name);
  const zone = args?.zone;
  const cloudName = zone?.cloud as string | undefined;
  const cloud = zoneCloud(c, zone, clouds, {
    onprem: "there is no cloud account to federate with",
    onpremFix: "skip on-prem zones; their workloads use their SPIFFE IDs directly, and get cloud access through the zones of the clouds they call",
    unknownFix: "federation is per cloud account: pass a zone whose cloud is aws, azure or gcp",
  });

  const td = args.trustDomain;
  c.check(typeof td === "string" && TRUST_DOMAIN.test(td), "trustDomain", `must be a DNS name, got ${show(td)}`, "pass model.trustDomain");
  const issuer = issuerProblem(args.issuerUrl);
  c.check(issuer === undefined, "issuerUrl", issuer ?? "", "pass the https issuer of the SPIRE OIDC discovery provider, e.g. https://oidc.mesh.example");

  const workloads: ResolvedWorkload[] = [];
  if (!Array.isArray(args.workloads)) {
    c.check(false, "workloads", `must be an array of { key, spiffeId }, got ${show(args.workloads)}`, "use federationFor(model, zoneId).workloads");
  } else {
    const keys = new Set<string>();
    const slugs = new Map<string, string>();
    args.workloads.forEach((w, i) => {
      const path = `workloads[${i}]`;
      const key: unknown = w?.key;
      if (typeof key !== "string" || !WORKLOAD_KEY.test(key)) {
        c.check(false, `${path}.key`, `must be "<domain>/<name>" (DNS-1123 labels), got ${show(key)}`, "use the workload key from the mesh model");
        return;
      }
      c.check(!keys.has(key), `${path}.key`, `duplicate workload ${show(key)}`, "list each workload once");
      keys.add(key);
      const [domain, wname] = key.split("/");
      const slug = `${domain}-${wname}`;
      const other = slugs.get(slug);
      c.check(
        other === undefined || other === key,
        `${path}.key`,
        `${show(key)} and ${show(other)} map to the same cloud identity name ${show(slug)}`,
        "rename one of the two workloads",
      );
      slugs.set(slug, key);
      const spiffe: unknown = w.spiffeId;
      const parsed = typeof spiffe === "string" ? parseSpiffeId(spiffe) : undefined;
      if (!parsed) {
        c.check(
          false,
          `${path}.spiffeId`,
          `must be an exact SPIFFE ID spiffe://<trust-domain>/<path> without wildcards, got ${show(spiffe)}`,
          "derive it with spiffeId(trustDomain, namespace, serviceAccount); never federate a pattern",
        );
        return;
      }
      c.check(
        typeof td !== "string" || parsed.trustDomain === td,
        `${path}.spiffeId`,
        `${show(spiffe)} is not in the trust domain ${show(td)}`,
        `use an ID starting with ${show(typeof td === "string" ? trustDomainPrefix(td) : "spiffe://<trustDomain>/")}`,
      );
      workloads.push({ key, spiffeId: spiffe as string, domain, name: wname, slug });
    });
  }

  const documents: IamDocuments = args.documents ?? { aws: {}, azure: {}, gcp: {} };
  if (cloud && cloudName) {
    const perCloud = (documents as unknown as Record<string, Record<string, { spiffeId?: string }> | undefined>)[cloudName] ?? {};
    workloads.forEach((w) => {
      const doc = perCloud[w.key];
      c.check(
        doc === undefined || doc.spiffeId === w.spiffeId,
        `documents.${cloudName}["${w.key}"].spiffeId`,
        `${show(doc?.spiffeId)} differs from the workload's SPIFFE ID ${show(w.spiffeId)}`,
        "pass documents compiled from the same mesh model as the workloads (federationFor does both)",
      );
    });
  }

  const audience = args.audience;
  c.check(
    audience === undefined || (typeof audience === "string" && audience.length > 0 && !/[*?\s]/.test(audience)),
    "audience",
    `must be a non-empty string without wildcards or spaces, got ${show(audience)}`,
    "omit it to use the cloud's default audience",
  );
  checkTags(c, args.tags);
  if (cloud) cloud.check(args, c);
  c.done();
  return { cloud: cloud!, workloads, documents, audience: audience ?? cloud!.defaultAudience(name, args) };
}

/** Records an issue for each option given that only applies to another cloud. */
export function onlyFor(c: ArgChecker, args: WorkloadIdentityFederationArgs, cloud: string, options: (keyof WorkloadIdentityFederationArgs)[]): void {
  for (const o of options) {
    const v: unknown = args[o];
    const shown = v === null || ["string", "number", "boolean"].includes(typeof v) || Array.isArray(v) ? show(v) : "a value";
    c.check(
      v === undefined,
      o,
      `only applies to ${cloud} zones, but zone ${show(args.zone.id)} is ${show(args.zone.cloud)}; got ${shown}`,
      `remove ${o}`,
    );
  }
}
