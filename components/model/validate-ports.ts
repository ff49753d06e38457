/** Validation of a service's ports. */
import { DEFAULTS } from "./defaults";
import type { PortProtocol } from "./types";
import { DNS_LABEL_FIX, type Issues, isDnsLabel, isInt, isRecord, show } from "./validate-util";

const PROTOCOLS: readonly PortProtocol[] = ["http", "grpc", "tcp"];
const PORT_KEYS = ["port", "protocol", "name"] as const;

/**
 * Validates `ports` of a service: at least one; numbers 1-65535 and unique; protocol known;
 * names (given or defaulted to `<protocol>-<port>`) unique DNS-1123 labels of at most 15
 * characters with at least one letter (the Kubernetes port-name rule).
 */
export function validatePorts(issues: Issues, path: string, v: unknown): void {
  const list = issues.array(path, v, "ports", true);
  if (Array.isArray(v) && list.length === 0) issues.add(path, "service has no ports", "declare at least one port, e.g. { port: 8080 }");
  const numbers = new Set<number>();
  const names = new Set<string>();
  list.forEach((p, i) => {
    const pPath = `${path}[${i}]`;
    if (!isRecord(p)) {
      issues.add(pPath, `expected a port object, got ${show(p)}`, "declare the port as { port: 8080 }");
      return;
    }
    issues.unknownKeys(pPath, p, PORT_KEYS, "a port");
    const numberOk = isInt(p.port) && p.port >= 1 && p.port <= 65535;
    if (!numberOk) {
      issues.add(`${pPath}.port`, p.port === undefined ? "missing port number" : `invalid port ${show(p.port)}`, "use an integer from 1 to 65535");
    } else if (numbers.has(p.port as number)) {
      issues.add(`${pPath}.port`, `duplicate port ${show(p.port)}`, "declare each port number once per service");
    } else {
      numbers.add(p.port as number);
    }
    const protocolOk = p.protocol === undefined || issues.oneOf(`${pPath}.protocol`, p.protocol, PROTOCOLS, "protocol");
    let name: string | undefined;
    if (p.name !== undefined) {
      if (!isDnsLabel(p.name, 15) || !/[a-z]/.test(p.name)) {
        issues.add(`${pPath}.name`, `invalid port name ${show(p.name)}: at most 15 characters, a DNS-1123 label with a letter`, DNS_LABEL_FIX);
        return;
      }
      name = p.name;
    } else if (numberOk && protocolOk) {
      name = `${(p.protocol as PortProtocol | undefined) ?? DEFAULTS.portProtocol}-${p.port as number}`;
    }
    if (name === undefined) return;
    if (names.has(name)) {
      issues.add(p.name === undefined ? pPath : `${pPath}.name`, `duplicate port name ${show(name)}`, "give every port of a service a distinct name");
    } else {
      names.add(name);
    }
  });
}
