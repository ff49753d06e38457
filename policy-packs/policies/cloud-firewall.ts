/**
 * Cloud firewalls (AWS security groups, Azure NSGs, GCP firewall rules): only gateway listeners
 * face the internet (ingress), and only the mesh's egress gateway reaches it (egress). A cloud
 * rule cannot tell which pod a packet comes from, so the exemption is the marker on the rule.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { type Blocks, cidrsRanges, internetFamilies } from "./cidr";
import {
  DEFAULT_EGRESS_GATEWAY_MARKERS,
  DEFAULT_GATEWAY_MARKERS,
  EGRESS_GATEWAY_NETWORK_TAG,
  GATEWAY_NETWORK_TAG,
  markersOf,
  matchesAny,
} from "./conventions";
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

/**
 * Blocks an Azure security rule admits when it is an Allow rule of `direction` (`*`/`Internet`
 * are everything): the sources of an inbound rule, the destinations of an outbound one.
 */
export function azureRuleBlocks(rule: Record<string, unknown> | undefined, direction: "inbound" | "outbound" = "inbound"): Blocks[] {
  if (!rule) return [];
  const r = asRecord(rule.properties) ?? rule;
  const dir = (str(r.direction) ?? "Inbound").toLowerCase();
  const access = (str(r.access) ?? "Allow").toLowerCase();
  if (dir !== direction || access !== "allow") return [];
  const prefixes =
    direction === "inbound"
      ? [...strings(r.sourceAddressPrefix), ...strings(r.sourceAddressPrefixes)]
      : [...strings(r.destinationAddressPrefix), ...strings(r.destinationAddressPrefixes)];
  if (prefixes.some((p) => AZURE_ANY.has(p.toLowerCase()))) return [cidrsRanges(["0.0.0.0/0", "::/0"])];
  return [cidrsRanges(prefixes)];
}

/**
 * The internet families a GCP firewall rule of `direction` admits: sources of an INGRESS rule (no
 * source at all means 0.0.0.0/0, as in GCP), destinations of an EGRESS rule (no
 * `destinationRanges` means 0.0.0.0/0, as in GCP).
 */
export function gcpFirewallFamilies(props: Record<string, unknown>, direction: "INGRESS" | "EGRESS" = "INGRESS"): string[] {
  if ((str(props.direction) ?? "INGRESS").toUpperCase() !== direction) return [];
  if (bool(props.disabled) === true) return [];
  if (asArray(props.allows).length === 0) return [];
  if (direction === "EGRESS") {
    const ranges = strings(props.destinationRanges);
    return internetFamilies([cidrsRanges(ranges.length === 0 ? ["0.0.0.0/0"] : ranges)]);
  }
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

interface EgressConfig {
  egressGatewayMarkers: Record<string, string>;
  egressGatewayNetworkTags: string[];
}

const EGRESS_DEFAULTS: EgressConfig = { egressGatewayMarkers: DEFAULT_EGRESS_GATEWAY_MARKERS, egressGatewayNetworkTags: [EGRESS_GATEWAY_NETWORK_TAG] };

/** Cloud firewall rules never admit egress to the whole internet, except from resources marked as the mesh's egress gateway. */
export const cloudFirewallNoInternetEgress: ResourceValidationPolicy = {
  name: "cloud-firewall-no-internet-egress",
  description:
    "No AWS security group (inline `egress`, `SecurityGroupRule` of type egress, `vpc.SecurityGroupEgressRule`), Azure NSG (rule) or GCP firewall rule (EGRESS; no `destinationRanges` means `0.0.0.0/0`) admits outbound traffic to the whole internet (`0.0.0.0/0`, `::/0`, `*`, `Internet`, or blocks covering it), unless it is marked as the mesh's egress gateway (`egressGatewayMarkers`, or `egressGatewayNetworkTags` GCP target tags): a cloud rule cannot tell pods apart, so the marker is the exemption.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      egressGatewayMarkers: {
        type: "object",
        additionalProperties: { type: "string" },
        default: DEFAULT_EGRESS_GATEWAY_MARKERS,
        description: "Tag/label pairs (one match suffices) marking the egress gateway's rules; rules without tags carry `key=value` in their description.",
      },
      egressGatewayNetworkTags: {
        type: "array",
        items: { type: "string" },
        default: [EGRESS_GATEWAY_NETWORK_TAG],
        description: "GCP firewall target tags of the egress gateway's instances.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const p = args.props;
    const t = args.type;
    const handled = [
      TYPES.awsSecurityGroup, TYPES.awsSecurityGroupRule, TYPES.awsSecurityGroupEgressRule,
      TYPES.azureSecurityRule, TYPES.azureNetworkSecurityGroup, TYPES.gcpFirewall,
    ] as string[];
    if (!handled.includes(t)) return;
    const cfg = configWithDefaults(args.getConfig<EgressConfig>(), EGRESS_DEFAULTS);
    const marked = (props: Record<string, unknown>) => isGateway(props, { gatewayMarkers: cfg.egressGatewayMarkers, gatewayNetworkTags: [] });
    const say = (families: string[], what: string) => {
      if (families.length > 0) reportViolation(`${what} admits egress to the whole ${families.join(" and ")} internet; only resources marked as the mesh egress gateway may.`);
    };
    if (t === TYPES.gcpFirewall) {
      const families = gcpFirewallFamilies(p, "EGRESS");
      const tags = strings(p.targetTags);
      if (strings(cfg.egressGatewayNetworkTags).some((g) => tags.includes(g)) || marked(p)) return;
      say(families, "GCP firewall rule");
      return;
    }
    let blocks: Blocks[] = [];
    if (t === TYPES.awsSecurityGroup) blocks = asArray(p.egress).flatMap((r) => awsRuleBlocks(asRecord(r)));
    else if (t === TYPES.awsSecurityGroupRule) blocks = str(p.type) === "egress" ? awsRuleBlocks(p) : [];
    else if (t === TYPES.awsSecurityGroupEgressRule) blocks = awsRuleBlocks(p);
    else if (t === TYPES.azureSecurityRule) blocks = azureRuleBlocks(p, "outbound");
    else if (t === TYPES.azureNetworkSecurityGroup) {
      const rules = asArray(p.securityRules).map(asRecord);
      blocks = rules.filter((r) => !(r && marked(r))).flatMap((r) => azureRuleBlocks(r, "outbound"));
    }
    const families = internetFamilies(blocks);
    if (marked(p)) return;
    say(families, t.includes("azure") ? "Azure network security rule" : "AWS security group");
  },
};
