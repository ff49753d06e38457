import { buildMesh } from "./components/model";
import { mesh, domains } from "./test/fixtures/mesh";
import { snapshotFromModel, traceRequest, buildRequest, formatTrace } from "./components/trace";
const model = buildMesh(mesh, domains);
const snap = snapshotFromModel(model);
for (const [from, to, method, path] of [["trading/order-api","trading/matching","POST","/orders"],["trading/order-api","risk/risk-engine","GET","/limits"],["trading/order-api","risk/risk-engine","POST","/limits"],["none","risk/risk-engine","GET","/limits"],["risk/risk-engine","trading/trades",undefined,undefined],["spiffe://evil.example/ns/trading/sa/order-api","risk/risk-engine","GET","/limits"]] as const) {
  const r = traceRequest(snap, buildRequest(snap, { from, to, method, path }));
  console.log(`== ${from} -> ${to}`); console.log(formatTrace(r));
}
