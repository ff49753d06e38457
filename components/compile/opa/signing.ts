/**
 * OPA bundle signing: the `.signatures.json` file OPA verifies before it activates a bundle
 * (OPA docs, management-bundles "Signing"; `bundle/verify.go`, `bundle/hash.go`).
 *
 * `.signatures.json` is `{"signatures": [<JWT>]}`. The JWT (RS256, header `{alg, kid, typ}`)
 * carries `{"files": [{name, hash, algorithm: "SHA-256"}], "keyid": <keyId>}` listing every
 * file of the bundle except `.signatures.json` itself. Hashes follow OPA's rules exactly:
 * - structured files, i.e. files whose base name is `data.json`, `data.yaml` or `.manifest`
 *   (OPA's `IsStructuredDoc`), are parsed and hashed in OPA's canonical encoding: objects as
 *   `{` + `"key":value` pairs in byte order of the keys, joined by `,` + `}`, arrays as
 *   `[` + values joined by `,` + `]`, primitives as Go's `encoding/json` writes them with
 *   HTML escaping off (see {@link opaCanonicalJson});
 * - every other file (Rego modules, other JSON) is hashed as its raw bytes.
 *
 * Numbers are written as JavaScript writes them (`JSON.stringify`); OPA hashes the number's
 * text as it appears in the file (it decodes with `UseNumber`), so the two agree for files
 * written by `JSON.stringify` (every file `bundleFiles` produces). Pure, no Pulumi imports.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { parse as parseYaml } from "yaml";

/** File name of the signatures file inside a bundle. */
export const SIGNATURES_FILE = ".signatures.json";
/** The hash algorithm name OPA expects in `files[].algorithm`. */
export const HASH_ALGORITHM = "SHA-256";

/** Base names OPA parses before hashing (`bundle.IsStructuredDoc`). */
const STRUCTURED = new Set(["data.json", "data.yaml", ".manifest"]);

/** One signed file in the JWT payload. */
export interface SignedFile {
  name: string;
  hash: string;
  algorithm: typeof HASH_ALGORITHM;
}

/** The JWT payload of a bundle signature. */
export interface SignaturePayload {
  files: SignedFile[];
  keyid: string;
  /** Must equal the `scope` configured in OPA, when set. */
  scope?: string;
}

/** Go's `encoding/json` string encoding with `SetEscapeHTML(false)`. */
function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20) out += `\\u00${c.toString(16).padStart(2, "0")}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * OPA's canonical encoding of a parsed structured file (`bundle/hash.go` `walk`): what is
 * hashed for `data.json`, `data.yaml` and `.manifest`.
 */
export function opaCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(opaCanonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const obj = value as Record<string, unknown>;
    return `{${keys.map((k) => `${goString(k)}:${opaCanonicalJson(obj[k])}`).join(",")}}`;
  }
  if (typeof value === "string") return goString(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return JSON.stringify(value);
  throw new Error(`cannot hash a ${typeof value} in an OPA structured file`);
}

function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? path : path.slice(i + 1);
}

/** The SHA-256 (hex) OPA computes for bundle file `path` with `content`. */
export function bundleFileHash(path: string, content: string): string {
  const base = baseName(path);
  let bytes: string;
  if (STRUCTURED.has(base)) {
    const parsed: unknown = base === "data.yaml" ? parseYaml(content) : JSON.parse(content);
    bytes = opaCanonicalJson(parsed);
  } else {
    bytes = content;
  }
  return createHash("sha256").update(bytes, "utf8").digest("hex");
}

/** The signature payload for `files` (every file but `.signatures.json`, sorted by name). */
export function signaturePayload(files: ReadonlyMap<string, string>, keyId: string, scope?: string): SignaturePayload {
  const names = [...files.keys()].filter((n) => n !== SIGNATURES_FILE).sort();
  const payload: SignaturePayload = {
    files: names.map((name) => ({ name, hash: bundleFileHash(name, files.get(name)!), algorithm: HASH_ALGORITHM })),
    keyid: keyId,
  };
  if (scope !== undefined) payload.scope = scope;
  return payload;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/**
 * Signs a bundle: returns the content of its `.signatures.json`
 * (`{"signatures": [<RS256 JWT>]}`, no trailing newline). Deterministic: RSA PKCS#1 v1.5
 * signatures of the same payload with the same key are identical.
 * @param files bundle path -> content (as from `bundleFiles`); a `.signatures.json` in it is ignored.
 * @param privateKeyPem RSA private key (PKCS#1 or PKCS#8 PEM).
 * @param keyId the key id OPA's config names under `keys` and `bundles.<name>.signing.keyid`.
 */
export function signBundle(files: ReadonlyMap<string, string>, privateKeyPem: string, keyId: string, scope?: string): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "rsa") {
    throw new Error(`signBundle: the signing key must be an RSA private key (RS256), got ${key.asymmetricKeyType ?? "unknown"}`);
  }
  const header = { alg: "RS256", kid: keyId, typ: "JWT" };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(signaturePayload(files, keyId, scope)))}`;
  const signature = sign("sha256", Buffer.from(signingInput), key);
  return JSON.stringify({ signatures: [`${signingInput}.${b64url(signature)}`] });
}

/** Files plus their `.signatures.json`, sorted by path. */
export function withSignature(files: ReadonlyMap<string, string>, privateKeyPem: string, keyId: string, scope?: string): Map<string, string> {
  const out = new Map(files);
  out.set(SIGNATURES_FILE, signBundle(files, privateKeyPem, keyId, scope));
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Verifies a bundle as OPA does (JWT signature with the public key, same file set, every
 * hash). Returns the problems found; empty means OPA would activate the bundle.
 */
export function verifyBundleSignature(files: ReadonlyMap<string, string>, publicKeyPem: string): string[] {
  const raw = files.get(SIGNATURES_FILE);
  if (raw === undefined) return [`${SIGNATURES_FILE} is missing`];
  const parsed = JSON.parse(raw) as { signatures?: unknown };
  const tokens = Array.isArray(parsed.signatures) ? parsed.signatures : [];
  if (tokens.length !== 1 || typeof tokens[0] !== "string") return ["expected exactly one signature"];
  const [h, p, s] = tokens[0].split(".");
  if (!h || !p || !s) return ["malformed JWT"];
  const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: string };
  if (header.alg !== "RS256") return [`unexpected JWT alg ${String(header.alg)}`];
  const ok = verify("sha256", Buffer.from(`${h}.${p}`), createPublicKey(publicKeyPem), Buffer.from(s, "base64url"));
  if (!ok) return ["JWT signature does not verify with the public key"];
  const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as SignaturePayload;
  const problems: string[] = [];
  const signed = new Map(payload.files.map((f) => [f.name, f]));
  for (const [name, content] of files) {
    if (name === SIGNATURES_FILE) continue;
    const f = signed.get(name);
    if (!f) problems.push(`file ${name} not included in bundle signature`);
    else if (f.hash !== bundleFileHash(name, content)) problems.push(`${name}: digest mismatch`);
    signed.delete(name);
  }
  for (const name of signed.keys()) problems.push(`file ${name} is signed but missing from the bundle`);
  return problems;
}
