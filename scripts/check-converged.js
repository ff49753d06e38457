// Fails when a domain stack export (stack.json) still has pending intents (a producer that
// does not admit the domain yet, see components/mesh/peers.ts) or unfederated ones (a data
// intent whose store would refuse the consumer: no identity of it in the store's account).
const fs = require("node:fs");
let problems = 0;
for (const file of process.argv.slice(2)) {
  const { deployment } = JSON.parse(fs.readFileSync(file, "utf8"));
  const stack = deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const outputs = (stack && stack.outputs) || {};
  for (const key of ["pendingIntents", "unfederatedIntents"]) {
    if (!Array.isArray(outputs[key])) {
      console.error(`${file}: no ${key} output (not a domain stack export?)`);
      problems += 1;
      continue;
    }
    for (const p of outputs[key]) {
      const why = key === "pendingIntents" ? `${p.producer} does not admit it` : `no identity in the ${p.storeCloud} store's account`;
      console.error(`${file}: ${key === "pendingIntents" ? "pending" : "unfederated"} ${p.id} (${p.from} -> ${p.to}): ${why}`);
      problems += 1;
    }
  }
}
process.exit(problems > 0 ? 1 : 0);
