import { describe, expect, it } from "vitest";
import { networkHops } from "../../components/trace/network";
import { shop } from "./builders";

describe("networkHops to and from addresses the artifacts do not give", () => {
  it("passes an ipBlock-only egress rule with the assumption spelled out, and stops when no rule could admit", () => {
    const s = shop();
    const web = s.proxies.find((p) => p.id === "z1/shop/web")!;
    const egress = s.zones["z1"].networkPolicies.find((p) => p.metadata.name === "allow-egress-web")!;
    egress.spec.egress = [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] }];
    const [hop] = networkHops(s, web, undefined, 5432, false);
    expect(hop.verdict).toBe("pass");
    expect(hop.rule).toContain("admitted by shop/allow-egress-web rule 0 (to an address outside the cluster port 5432), if that address lies in 10.20.0.0/16 (the artifacts do not give it)");
    const [known] = networkHops(s, web, undefined, 5432, false, 5432, "192.0.2.1");
    expect(known.verdict).toBe("stop");
    const [other] = networkHops(s, web, undefined, 443, false);
    expect(other.verdict).toBe("stop");
  });
});
