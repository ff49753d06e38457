import { createHash, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { rsaKeyPairPem } from "../../helpers/keys";
import {
  SIGNATURES_FILE,
  bundleFileHash,
  opaCanonicalJson,
  signBundle,
  verifyBundleSignature,
  withSignature,
} from "../../../components/compile/opa/signing";
import { bundleFiles, compileOpaBundles } from "../../../components/compile/opa";
import { buildMesh } from "../../../components/model";
import { domains, mesh } from "../../fixtures/mesh";

const { privateKeyPem: privatePem, publicKeyPem: publicPem } = rsaKeyPairPem();
const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

const files = bundleFiles(compileOpaBundles(buildMesh(mesh, domains), "aws-eu").platform);

function decode(token: string): { header: Record<string, unknown>; payload: { files: { name: string; hash: string; algorithm: string }[]; keyid: string } } {
  const [h, p] = token.split(".");
  return { header: JSON.parse(Buffer.from(h, "base64url").toString()), payload: JSON.parse(Buffer.from(p, "base64url").toString()) };
}

describe("signBundle", () => {
  const out = signBundle(files, privatePem, "ztmesh-bundles");
  const token = (JSON.parse(out) as { signatures: string[] }).signatures[0];

  it("produces {signatures: [JWT]} whose RS256 signature verifies with the public key", () => {
    const [h, p, s] = token.split(".");
    expect(verify("sha256", Buffer.from(`${h}.${p}`), createPublicKey(publicPem), Buffer.from(s, "base64url"))).toBe(true);
    expect(decode(token).header).toEqual({ alg: "RS256", kid: "ztmesh-bundles", typ: "JWT" });
  });

  it("lists every file with OPA's hashes: raw bytes for Rego, canonical JSON for data.json and .manifest", () => {
    const { payload } = decode(token);
    expect(payload.keyid).toBe("ztmesh-bundles");
    expect(payload.files.map((f) => f.name)).toEqual([...files.keys()].sort());
    for (const f of payload.files) {
      expect(f.algorithm).toBe("SHA-256");
      const content = files.get(f.name)!;
      if (f.name.endsWith(".rego")) expect(f.hash).toBe(sha(content));
      else expect(f.hash).toBe(sha(opaCanonicalJson(JSON.parse(content))));
    }
  });

  it("hashes structured files independently of whitespace and key order, others byte for byte", () => {
    expect(bundleFileHash("a/data.json", '{"b":1,"a":[true,null,"x"]}')).toBe(bundleFileHash("a/data.json", '{ "a": [true, null, "x"],\n "b": 1 }'));
    expect(bundleFileHash("a/data.json", '{"b":1,"a":2}')).toBe(sha('{"a":2,"b":1}'));
    expect(bundleFileHash("a/data.yaml", "b: 1\na: 2\n")).toBe(sha('{"a":2,"b":1}'));
    expect(bundleFileHash("other.json", '{"b":1}')).toBe(sha('{"b":1}'));
    expect(bundleFileHash("p.rego", "package p\n")).toBe(sha("package p\n"));
  });

  it("encodes strings as Go does with HTML escaping off", () => {
    expect(opaCanonicalJson({ s: "<a&b>\u2028\"\\\n\u0001\b" })).toBe('{"s":"<a&b>\\u2028\\"\\\\\\n\\u0001\\b"}');
  });

  it("is deterministic and ignores an existing .signatures.json", () => {
    const again = signBundle(new Map([...files, [SIGNATURES_FILE, "{}"]]), privatePem, "ztmesh-bundles");
    expect(again).toBe(out);
  });

  it("verifies as OPA would, and detects tampering", () => {
    const signed = withSignature(files, privatePem, "ztmesh-bundles");
    expect(verifyBundleSignature(signed, publicPem)).toEqual([]);
    const dataPath = [...files.keys()].find((k) => k.endsWith("data.json"))!;
    const tampered = new Map(signed).set(dataPath, '{"trust_domain":"evil"}');
    expect(verifyBundleSignature(tampered, publicPem)).toEqual([`${dataPath}: digest mismatch`]);
    const other = rsaKeyPairPem().publicKeyPem;
    expect(verifyBundleSignature(signed, other)).toEqual(["JWT signature does not verify with the public key"]);
    expect(verifyBundleSignature(new Map(signed).set("extra.rego", "x"), publicPem)).toEqual(["file extra.rego not included in bundle signature"]);
  });

  it("refuses non-RSA keys", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(() => signBundle(files, ec, "k")).toThrow(/RSA/);
  });
});
