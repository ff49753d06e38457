import { describe, expect, it } from "vitest";
import { meshDiagram } from "../../components/compile/diagram";
import { buildMesh } from "../../components/model";
import { domains, mesh } from "../fixtures/mesh";

describe("meshDiagram", () => {
  const model = buildMesh(mesh, domains);
  const text = meshDiagram(model);

  it("draws every zone with its gateway and engines, and every service and data product inside its zone", () => {
    expect(text.startsWith("flowchart LR\n")).toBe(true);
    for (const z of model.zones) {
      expect(text).toContain(`subgraph zone_${z.id.replace(/-/g, "_")}[`);
      const zid = z.id.replace(/-/g, "_");
      expect(text).toContain(`gw_${zid}{{"gateway · SNI passthrough"}}`);
      expect(text).toContain(`eg_${zid}{{"egress gateway"}}`);
      // The egress gateway asks OPA; the zone gateway only passes TLS through.
      expect(text).toContain(`eg_${zid} -. ext_authz .-> opa_${zid}`);
      expect(text).not.toContain(`gw_${zid} -. ext_authz`);
    }
    const awsZone = text.slice(text.indexOf("subgraph zone_aws_eu"), text.indexOf("end", text.indexOf("subgraph zone_aws_eu")));
    expect(awsZone).toContain('svc_trading_order_api["trading/order-api"]');
    expect(awsZone).toContain('dp_trading_trades[("trading/trades · s3 · medium")]');
  });

  it("draws exactly the declared flows", () => {
    const flows = text.split("\n").filter((l) => /-->\||==>\|/.test(l));
    expect(flows).toHaveLength(model.intents.length);
    expect(flows).toContain('  svc_trading_order_api -->|"POST /orders"| svc_trading_matching');
    expect(flows).toContain('  svc_compliance_auditor ==>|"read"| dp_risk_customer_risk');
  });

  it("is deterministic", () => {
    expect(meshDiagram(buildMesh(mesh, domains))).toBe(text);
  });
});
