/**
 * The mesh's keys: the shared upstream CA and the OPA bundle signing key.
 *
 * Production: Pulumi secrets (never files), set once per stack:
 *   pulumi config set upstreamCaCert -- "$(cat ca.crt)"
 *   pulumi config set --secret upstreamCaKey -- "$(cat ca.key)"
 *   pulumi config set bundleSigningPublicKey -- "$(cat signing.pub)"
 *   pulumi config set --secret bundleSigningKey -- "$(cat signing.key)"
 * Dev: `devKeysDir` (relative to the repository root) names a directory of committed DEV ONLY
 * test keys, because the offline preview cannot decrypt config secrets. Only an explicit
 * `devKeysDir` reads files; nothing falls back to them silently.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const ROOT = path.resolve(__dirname, "..", "..");

/** A file of the DEV ONLY key directory named by `devKeysDir`, or undefined when it is not set. */
function devKey(config: pulumi.Config, file: string): string | undefined {
  const dir = config.get("devKeysDir");
  if (!dir) return undefined; // declared with default "" (Pulumi requires a value for declared keys without one)
  pulumi.log.warn(`reading DEV ONLY key ${file} from ${dir}; never set devKeysDir in production`);
  return readFileSync(path.resolve(ROOT, dir, file), "utf8");
}

/** A key that must be set (declared with default "", so "" means unset). */
function requireSet(config: pulumi.Config, key: string): string {
  const v = config.get(key);
  if (!v) throw new Error(`config ${key} is not set: set it (\`pulumi config set ${key} ...\`, private keys with --secret), or devKeysDir in dev`);
  return v;
}

/** A secret key that must be set (see requireSet). */
function requireSetSecret(config: pulumi.Config, key: string): pulumi.Output<string> {
  return pulumi.secret(requireSet(config, key));
}

/** The shared upstream CA: `devKeysDir` files when set, else `upstreamCaCert` and the secret `upstreamCaKey`. */
export function upstreamCa(config: pulumi.Config): { certificate: pulumi.Input<string>; privateKey: pulumi.Input<string> } {
  const cert = devKey(config, "upstream-ca.crt");
  const key = devKey(config, "upstream-ca.key");
  return {
    certificate: cert ?? requireSet(config, "upstreamCaCert"),
    privateKey: key !== undefined ? pulumi.secret(key) : requireSetSecret(config, "upstreamCaKey"),
  };
}

/** The bundle signing key: `devKeysDir` files when set, else `bundleSigningPublicKey` and the secret `bundleSigningKey`. */
export function signingKey(config: pulumi.Config): { keyId: string; publicKeyPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> } {
  const pub = devKey(config, "bundle-signing.pub");
  const key = devKey(config, "bundle-signing.key");
  return {
    keyId: config.get("bundleSigningKeyId") ?? "ztmesh-dev",
    publicKeyPem: pub ?? requireSet(config, "bundleSigningPublicKey"),
    privateKeyPem: key !== undefined ? pulumi.secret(key) : requireSetSecret(config, "bundleSigningKey"),
  };
}
