#!/usr/bin/env bash
# Offline preview (program under mocks + the zero-trust pack) of the platform's prod stack.
# Prod reads its keys from config secrets, which the offline preview cannot decrypt, so this
# run generates throwaway keys (a self-signed CA and an RSA bundle signing key, with Node's
# crypto) in a temp dir removed on exit and passes them with --config. The policy config is
# the default (locked retention required, no exemptions): there is no Pulumi.prod.policy.json.
set -euo pipefail
cd "$(dirname "$0")/.."
keys=$(mktemp -d)
trap 'rm -rf "$keys"' EXIT

node - "$keys" <<'EOF'
// Throwaway keys for this run only: upstream-ca.{crt,key}, bundle-signing.{pub,key}, the
// formats of stacks/platform/dev-keys (PEM, PKCS#8 private keys, SPKI public key).
const { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } = require("node:crypto");
const { writeFileSync } = require("node:fs");
const path = require("node:path");
const dir = process.argv[2];

// DER: a tag, a length, the content.
const der = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
};
const seq = (...p) => der(0x30, ...p);
const oid = (s) => {
  const [a, b, ...rest] = s.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const v of rest) {
    const sub = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) sub.unshift(0x80 | (x & 0x7f));
    bytes.push(...sub);
  }
  return der(0x06, Buffer.from(bytes));
};
const utf8 = (s) => der(0x0c, Buffer.from(s, "utf8"));
const utcTime = (d) => der(0x17, Buffer.from(d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, "$1$2$3$4$5$6Z")));
const name = (o, cn) => seq(der(0x31, seq(oid("2.5.4.10"), utf8(o))), der(0x31, seq(oid("2.5.4.3"), utf8(cn))));
const critical = (id, value) => seq(oid(id), der(0x01, Buffer.from([0xff])), der(0x04, value));

const ca = generateKeyPairSync("rsa", { modulusLength: 2048 });
const spki = ca.publicKey.export({ type: "spki", format: "der" });
const sha256Rsa = seq(oid("1.2.840.113549.1.1.11"), der(0x05));
const subject = name("ACME THROWAWAY", "ztmesh prod preview upstream CA (throwaway, this run only)");
const now = Date.now();
const tbs = seq(
  der(0xa0, der(0x02, Buffer.from([2]))), // v3
  der(0x02, Buffer.concat([Buffer.from([0x01]), randomBytes(15)])), // positive serial
  sha256Rsa,
  subject,
  seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
  subject,
  spki,
  der(0xa3, seq(
    critical("2.5.29.19", seq(der(0x01, Buffer.from([0xff])))), // basicConstraints CA:TRUE
    critical("2.5.29.15", der(0x03, Buffer.from([0x01, 0x06]))), // keyUsage keyCertSign, cRLSign
    seq(oid("2.5.29.14"), der(0x04, der(0x04, createHash("sha1").update(ca.publicKey.export({ type: "pkcs1", format: "der" })).digest()))), // subjectKeyIdentifier
  )),
);
const cert = seq(tbs, sha256Rsa, der(0x03, Buffer.from([0]), sign("sha256", tbs, ca.privateKey)));
const certPem = `-----BEGIN CERTIFICATE-----\n${cert.toString("base64").match(/.{1,64}/g).join("\n")}\n-----END CERTIFICATE-----\n`;

const x509 = new X509Certificate(certPem);
if (!x509.ca || !x509.verify(ca.publicKey) || !x509.checkPrivateKey(ca.privateKey)) throw new Error("generated CA certificate does not verify");

const signing = generateKeyPairSync("rsa", { modulusLength: 2048 });
const files = {
  "upstream-ca.crt": certPem,
  "upstream-ca.key": ca.privateKey.export({ type: "pkcs8", format: "pem" }),
  "bundle-signing.pub": signing.publicKey.export({ type: "spki", format: "pem" }),
  "bundle-signing.key": signing.privateKey.export({ type: "pkcs8", format: "pem" }),
};
for (const [file, pem] of Object.entries(files)) writeFileSync(path.join(dir, file), pem, { mode: 0o600 });
EOF

npm run --silent preview -- --stack prod --out .preview/platform-prod \
  --config "upstreamCaCert=$(cat "$keys/upstream-ca.crt")" \
  --config "upstreamCaKey=$(cat "$keys/upstream-ca.key")" \
  --config "bundleSigningPublicKey=$(cat "$keys/bundle-signing.pub")" \
  --config "bundleSigningKey=$(cat "$keys/bundle-signing.key")"
echo "platform prod previewed with zero mandatory violations (throwaway keys)"
