/**
 * A Mermaid flowchart of the mesh: zones (with their gateway, egress gateway and policy
 * engines), services, data products and the allowed flows (the declared intents; everything else
 * is denied). Every service's and product's own proxy asks its zone's OPA; the egress gateway
 * does for token endpoints; the zone gateway only passes TLS through.
 * Pure and deterministic.
 */
import type { MeshModel, Source } from "../model/model";

function id(prefix: string, key: string): string {
  return `${prefix}_${key.replace(/[^A-Za-z0-9]/g, "_")}`;
}

function label(text: string): string {
  return `"${text.replace(/"/g, "#quot;")}"`;
}

function sourceNode(source: Source): string {
  return source.kind === "any" ? "any_workload" : id("svc", source.key);
}

/** The Mermaid source (`flowchart LR`) for the mesh. */
export function meshDiagram(model: MeshModel): string {
  const lines: string[] = ["flowchart LR"];
  for (const zone of model.zones) {
    lines.push(`  subgraph ${id("zone", zone.id)}[${label(`${zone.id} · ${zone.cloud} ${zone.region}`)}]`);
    lines.push(`    ${id("gw", zone.id)}{{${label("gateway · SNI passthrough")}}}`);
    lines.push(`    ${id("eg", zone.id)}{{${label("egress gateway")}}}`);
    lines.push(`    ${id("opa", zone.id)}[[${label(`OPA ×${model.policyEngine.replicas}`)}]]`);
    for (const s of model.services.values()) {
      if (s.zone === zone.id) lines.push(`    ${id("svc", s.key)}[${label(s.key)}]`);
    }
    for (const p of model.dataProducts.values()) {
      if (p.zone === zone.id) lines.push(`    ${id("dp", p.key)}[(${label(`${p.key} · ${p.engine} · ${p.sensitivity}`)})]`);
    }
    lines.push(`    ${id("eg", zone.id)} -. ext_authz .-> ${id("opa", zone.id)}`);
    lines.push("  end");
  }
  if (model.intents.some((i) => i.source.kind === "any")) lines.push(`  any_workload([${label("any mesh workload")}])`);
  for (const intent of model.intents) {
    const from = sourceNode(intent.source);
    if (intent.kind === "call") {
      const what = `${intent.methods.join(",")} ${intent.paths.join(" ")}`;
      lines.push(`  ${from} -->|${label(what)}| ${id("svc", intent.to)}`);
    } else {
      lines.push(`  ${from} ==>|${label(intent.access.join("+"))}| ${id("dp", intent.to)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
