// Fails when a domain stack export (stack.json) still has pending intents: a producer that
// does not admit the domain yet (see components/mesh/peers.ts).
const fs = require("node:fs");
let pending = 0;
for (const file of process.argv.slice(2)) {
  const { deployment } = JSON.parse(fs.readFileSync(file, "utf8"));
  const stack = deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const list = (stack && stack.outputs && stack.outputs.pendingIntents) || [];
  for (const p of list) console.error(`${file}: pending ${p.id} (${p.from} -> ${p.to}): ${p.producer} does not admit it`);
  pending += list.length;
  if (!stack || !Array.isArray(stack.outputs && stack.outputs.pendingIntents)) {
    console.error(`${file}: no pendingIntents output (not a domain stack export?)`);
    pending += 1;
  }
}
process.exit(pending > 0 ? 1 : 0);
