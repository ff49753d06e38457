/**
 * CIDR coverage: does a set of address blocks (minus exceptions) admit the whole public
 * internet? "The internet" is every public address: for IPv4 the whole space minus the
 * special-purpose ranges (RFC 6890: private, loopback, link-local, CGNAT, documentation,
 * multicast, reserved), for IPv6 the global unicast range 2000::/3. So `0.0.0.0/0` with
 * `except: [10.0.0.0/8]` still admits the internet, `0.0.0.0/1` + `128.0.0.0/1` does too,
 * and `0.0.0.0/0` except `8.0.0.0/8` does not. Unparseable blocks are ignored, never thrown.
 */

import { parseIp } from "../../components/compile/kubernetes/evaluate";

/** An inclusive address range. */
export interface Range {
  lo: bigint;
  hi: bigint;
}

/** An address family's ranges. */
export interface Blocks {
  v4: Range[];
  v6: Range[];
}

/** Parses a CIDR (or a bare address) into its family and range; undefined when invalid. */
export function parseCidr(cidr: string): { family: "v4" | "v6"; range: Range } | undefined {
  const [addr, len, ...rest] = cidr.trim().split("/");
  if (rest.length > 0 || addr === undefined) return undefined;
  const v6 = addr.includes(":");
  const bits = v6 ? 128 : 32;
  const parsed = parseIp(addr);
  const base = parsed && parsed.bits === bits ? parsed.value : undefined;
  const prefix = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (base === undefined || !(prefix >= 0 && prefix <= bits)) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const lo = (base / size) * size;
  return { family: v6 ? "v6" : "v4", range: { lo, hi: lo + size - 1n } };
}

/** Sorts and merges overlapping or adjacent ranges. */
export function merge(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.lo <= last.hi + 1n) {
      if (r.hi > last.hi) last.hi = r.hi;
    } else out.push({ ...r });
  }
  return out;
}

/** `ranges` minus `holes`. */
export function subtract(ranges: Range[], holes: Range[]): Range[] {
  let current = merge(ranges);
  for (const h of merge(holes)) {
    const next: Range[] = [];
    for (const r of current) {
      if (h.hi < r.lo || h.lo > r.hi) next.push(r);
      else {
        if (h.lo > r.lo) next.push({ lo: r.lo, hi: h.lo - 1n });
        if (h.hi < r.hi) next.push({ lo: h.hi + 1n, hi: r.hi });
      }
    }
    current = next;
  }
  return current;
}

/** True when the union of `ranges` contains every address of every `target` range. */
export function covers(ranges: Range[], targets: Range[]): boolean {
  return subtract(targets, ranges).length === 0;
}

function rangesOf(cidrs: string[], family: "v4" | "v6"): Range[] {
  return cidrs.flatMap((c) => {
    const p = parseCidr(c);
    return p && p.family === family ? [p.range] : [];
  });
}

/** The addresses a block admits: its CIDR minus its exceptions. */
export function blockRanges(cidr: string, except: string[] = []): Blocks {
  return {
    v4: subtract(rangesOf([cidr], "v4"), rangesOf(except, "v4")),
    v6: subtract(rangesOf([cidr], "v6"), rangesOf(except, "v6")),
  };
}

/** Blocks with no exceptions. */
export function cidrsRanges(cidrs: string[]): Blocks {
  return { v4: rangesOf(cidrs, "v4"), v6: rangesOf(cidrs, "v6") };
}

const V4_SPECIAL = [
  "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
  "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
];

/** Public IPv4 addresses: everything but the special-purpose ranges. */
export const PUBLIC_V4: Range[] = subtract([{ lo: 0n, hi: (1n << 32n) - 1n }], rangesOf(V4_SPECIAL, "v4"));
/** Public IPv6 addresses: global unicast 2000::/3. */
export const PUBLIC_V6: Range[] = rangesOf(["2000::/3"], "v6");

/** Which address families' public internet the blocks admit entirely (empty: none). */
export function internetFamilies(blocks: Blocks[]): ("IPv4" | "IPv6")[] {
  const out: ("IPv4" | "IPv6")[] = [];
  if (covers(blocks.flatMap((b) => b.v4), PUBLIC_V4)) out.push("IPv4");
  if (covers(blocks.flatMap((b) => b.v6), PUBLIC_V6)) out.push("IPv6");
  return out;
}
