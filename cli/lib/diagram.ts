/**
 * `preview --diagram FILE`: a Mermaid diagram of the mesh the previewed stack belongs to,
 * from the declarations it exports or reads: a platform contract (`{ version, mesh }`) and
 * domain contracts (`{ version, domain }`), found in the stack's outputs and in the outputs
 * of the stacks it references.
 */
import { meshDiagram } from "../../components/compile/diagram";
import { buildMesh, type DomainSpec, type MeshSpec, ValidationError } from "../../components/model";
import { UsageError } from "./errors";
import { type PropertyMap, unwrapSecrets } from "./properties";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function looksLikeMesh(v: unknown): v is MeshSpec {
  return isRecord(v) && typeof v.trustDomain === "string" && Array.isArray(v.zones);
}

function looksLikeDomain(v: unknown): v is DomainSpec {
  return isRecord(v) && typeof v.name === "string" && Array.isArray(v.services);
}

/** Mesh and domain declarations found in stack outputs (top level or one object down). */
export function findDeclarations(outputs: PropertyMap[]): { mesh?: MeshSpec; domains: DomainSpec[] } {
  let mesh: MeshSpec | undefined;
  const domains = new Map<string, DomainSpec>();
  for (const raw of outputs) {
    const o: unknown = unwrapSecrets(raw);
    const candidates: Record<string, unknown>[] = isRecord(o) ? [o, ...Object.values(o).filter(isRecord)] : [];
    for (const c of candidates) {
      if (looksLikeMesh(c.mesh)) mesh ??= c.mesh;
      if (looksLikeDomain(c.domain)) domains.set(c.domain.name, c.domain);
    }
  }
  return { mesh, domains: [...domains.values()] };
}

/** The Mermaid diagram for the declarations in these outputs. */
export function diagramFromOutputs(outputs: PropertyMap[]): string {
  const { mesh, domains } = findDeclarations(outputs);
  if (!mesh) {
    throw new UsageError("--diagram: no mesh declaration found (a platform stack exports `contract.mesh`; a domain stack needs --stack-reference to its platform)");
  }
  try {
    return meshDiagram(buildMesh(mesh, domains));
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(`--diagram: ${e.message}`);
    throw e;
  }
}
