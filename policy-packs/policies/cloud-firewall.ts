/** Cloud firewalls (AWS security groups, Azure NSGs, GCP firewall rules): only gateway listeners face the internet. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { type Blocks, cidrsRanges, internetFamilies } from "./cidr";
import { DEFAULT_GATEWAY_MARKERS, GATEWAY_NETWORK_TAG, markersOf, matchesAny } from "./conventions";
import { TYPES } from "./types";
import { asArray, asRecord, bool, configWithDefaults, str, stringMap, strings } from "./util";

interface FirewallConfig {
  gatewayMarkers: Record<string, string>;
  gatewayNetworkTags: string[];
}

const DEFAULTS: FirewallConfig = { gatewayMarkers: DEFAULT_GATEWAY_MARKERS, gatewayNetworkTags: [GATEWAY_NETWORK_TAG] };

/** Azure source prefixes meaning "every address". */
const AZURE_ANY = new Set(["*", "internet"]);

/** True when a resource or rule carries a gateway marker (tags/labels, or `key=value` in its description). */
function isGateway(props: Record<string, unknown>, cfg: FirewallConfig): boolean {
  const markers = stringMap(cfg.gatewayMarkers);
  if (matchesAny(markersOf(props), markers)) return true;
  const description = str(props.description) ?? "";
  return Object.entries(markers).some(([k, v]) => description.includes(`${k}=${v}`));
}

function report(families: string[], what: string, reportViolation: (m: string) => void): void {
  if (families.length > 0) {
    reportViolation(`${what} admits ingress from the whole ${families.join(" and ")} internet; only resources marked as mesh gateway listeners may.`);
  }
}

function awsRuleBlocks(rule: Record<string, unknown> | undefined): Blocks[] {
  return [cidrsRanges([...strings(rule?.cidrBlocks), ...strings(rule?.ipv6CidrBlocks), ...strings(rule?.cidrIpv4), ...strings(rule?.cidrIpv6)])];
}

/** Blocks an Azure security rule admits when it is an inbound Allow rule (`*`/`Internet` are everything). */
export function azureRuleBlocks(rule: Record<string, unknown> | undefined): Blocks[] {
  if (!rule) return [];
  const r = asRecord(rule.properties) ?? rule;
  const direction = (str(r.direction) ?? "Inbound").toLowerCase();
  const access = (str(r.access) ?? "Allow").toLowerCase();
  if (direction !== "inbound" || access !== "allow") return [];
  const prefixes = [...strings(r.sourceAddressPrefix), ...strings(r.sourceAddressPrefixes)];
  if (prefixes.some((p) => AZURE_ANY.has(p.toLowerCase()))) return [cidrsRanges(["0.0.0.0/0", "::/0"])];
  return [cidrsRanges(prefixes)];
}

/** The internet families a GCP firewall rule admits (no source at all means 0.0.0.0/0, as in GCP). */
export function gcpFirewallFamilies(props: Record<string, unknown>): string[] {
  if ((str(props.direction) ?? "INGRESS").toUpperCase() !== "INGRESS") return [];
  if (bool(props.disabled) === true) return [];
  if (asArray(props.allows).length === 0) return [];
  const ranges = strings(props.sourceRanges);
  const noSource = ranges.length === 0 && strings(props.sourceTags).length === 0 && strings(props.sourceServiceAccounts).length === 0;
  return internetFamilies([cidrsRanges(noSource ? ["0.0.0.0/0"] : ranges)]);
}

/** Cloud firewall rules never admit the whole internet, except to resources marked as mesh gateway listeners. */
export const cloudFirewallNoInternetIngress: ResourceValidationPolicy = {
  name: "cloud-firewall-no-internet-ingress",
  description:
    "No AWS security group (rule), Azure NSG (rule) or GCP firewall rule admits inbound traffic from the whole internet (`0.0.0.0/0`, `::/0`, `*`, `Internet`, or blocks covering it), unless it is marked as a mesh gateway listener (`gatewayMarkers` tags/labels, or `gatewayNetworkTags` GCP target tags).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      gatewayMarkers: {
        type: "object",
        additionalProperties: { type: "string" },
        default: DEFAULT_GATEWAY_MARKERS,
        description: "Tag/label pairs (one match suffices) marking a gateway listener; rules without tags carry `key=value` in their description.",
      },
      gatewayNetworkTags: { type: "array", items: { type: "string" }, default: [GATEWAY_NETWORK_TAG], description: "GCP firewall target tags of gateway listeners." },
    },
  },
  validateResource: (args, reportViolation) => {
    const p = args.props;
    const t = args.type;
    const handled = [
      TYPES.awsSecurityGroup, TYPES.awsSecurityGroupRule, TYPES.awsSecurityGroupIngressRule,
      TYPES.azureSecurityRule, TYPES.azureNetworkSecurityGroup, TYPES.gcpFirewall,
    ] as string[];
    if (!handled.includes(t)) return;
    const cfg = configWithDefaults(args.getConfig<FirewallConfig>(), DEFAULTS);
    if (t === TYPES.gcpFirewall) {
      const families = gcpFirewallFamilies(p);
      const tags = strings(p.targetTags);
      if (strings(cfg.gatewayNetworkTags).some((g) => tags.includes(g)) || isGateway(p, cfg)) return;
      report(families, "GCP firewall rule", reportViolation);
      return;
    }
    let blocks: Blocks[] = [];
    if (t === TYPES.awsSecurityGroup) blocks = asArray(p.ingress).flatMap((r) => awsRuleBlocks(asRecord(r)));
    else if (t === TYPES.awsSecurityGroupRule) blocks = str(p.type) === "ingress" ? awsRuleBlocks(p) : [];
    else if (t === TYPES.awsSecurityGroupIngressRule) blocks = awsRuleBlocks(p);
    else if (t === TYPES.azureSecurityRule) blocks = azureRuleBlocks(p);
    else if (t === TYPES.azureNetworkSecurityGroup) {
      const rules = asArray(p.securityRules).map(asRecord);
      blocks = rules.filter((r) => !(r && isGateway(r, cfg))).flatMap((r) => azureRuleBlocks(r));
    }
    const families = internetFamilies(blocks);
    if (isGateway(p, cfg)) return;
    const what = t.includes("azure") ? "Azure network security rule" : "AWS security group";
    report(families, what, reportViolation);
  },
};
