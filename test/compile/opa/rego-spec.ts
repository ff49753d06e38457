/**
 * The small mesh behind the `opa test` cases in `components/compile/opa/rego/envoy/authz/authz_test.rego`:
 * its zone `z1` compiles to exactly the `mesh` data literal of that file (checked by rego.test.ts),
 * and decide.test.ts runs the same cases through `decide`.
 */
import type { DomainSpec, MeshSpec } from "../../../components/model/types";

export const regoMesh: MeshSpec = {
  trustDomain: "mesh.test",
  zones: [
    { id: "z1", cloud: "onprem", region: "eu-frankfurt-dc1", failureZones: ["rack-a", "rack-b"] },
    { id: "z2", cloud: "onprem", region: "eu-berlin-dc2", failureZones: ["rack-a", "rack-b"] },
    { id: "z3", cloud: "aws", region: "eu-west-1", failureZones: ["eu-west-1a"], aws: { accountId: "123456789012" } },
  ],
  denyRules: [
    { from: "*", paths: ["/admin"], reason: "no admin endpoints through the mesh" },
    { to: "risk/customer-risk", methods: ["DELETE", "PATCH", "POST", "PUT"], reason: "risk data is read-only for consumers" },
  ],
};

export const regoDomains: DomainSpec[] = [
  {
    name: "trading",
    owner: "trading@acme.example",
    services: [
      { name: "order-api", zone: "z1", ports: [{ port: 8080 }] },
      { name: "matching", zone: "z1", ports: [{ port: 9090 }] },
    ],
    dataProducts: [
      { name: "trades", zone: "z1", engine: "postgres", sensitivity: "medium", owner: "trading@acme.example", residency: "eu", schemaVersion: "1.0.0" },
      // An object store: matching's intent on it grants matching AWS's token endpoints at z1's egress gateway.
      { name: "archive", zone: "z3", engine: "s3", sensitivity: "low", owner: "trading@acme.example", residency: "eu", schemaVersion: "1.0.0" },
    ],
    intents: [
      { from: "order-api", to: "matching", methods: ["POST", "GET"], paths: ["/orders"] },
      { from: "matching", data: "trades", access: ["read", "write"] },
      { from: "matching", data: "risk/customer-risk", access: ["write"] },
      { from: "matching", data: "archive", access: ["read"] },
    ],
    exports: ["order-api", "matching", "trades"],
  },
  {
    name: "risk",
    owner: "risk@acme.example",
    services: [
      { name: "risk-engine", zone: "z1", ports: [{ port: 8080 }] },
      { name: "reporter", zone: "z2", ports: [{ port: 8080 }] },
    ],
    dataProducts: [
      { name: "customer-risk", zone: "z1", engine: "postgres", sensitivity: "low", owner: "risk@acme.example", residency: "eu", schemaVersion: "1.0.0" },
    ],
    intents: [
      { from: "trading/order-api", to: "risk-engine", methods: ["GET"], paths: ["/limits"] },
      { from: "*", to: "risk-engine", methods: ["GET"], paths: ["/health", "/admin"] },
      { from: "risk-engine", data: "trading/trades" },
      { from: "risk-engine", data: "customer-risk", access: ["read", "write"] },
      { from: "risk-engine", to: "reporter", methods: ["POST"], paths: ["/"] },
    ],
    exports: ["risk-engine", "customer-risk"],
    denyRules: [{ from: "trading/order-api", paths: ["/limits/internal"], reason: "internal limits are risk-only" }],
  },
];
