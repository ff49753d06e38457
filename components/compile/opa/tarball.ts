/**
 * Deterministic `.tar.gz` archives for OPA bundles: a small, pure ustar writer (and reader)
 * plus gzip from `node:zlib`.
 *
 * Why hand-written rather than a tar library: the archive's bytes must depend on the bundle's
 * content only, so that the same model always yields the same object (no spurious diff, no
 * re-upload, and an object hash that is a content revision). Tar libraries stamp the current
 * time, the packing user's uid/gid/names and file modes from the disk; here every header field
 * is fixed: mtime 0, uid/gid 0, empty user and group names, mode 0644, entries in path order,
 * no directory entries (OPA's loader does not need them). The gzip header carries mtime 0 and
 * OS byte 255 ("unknown"), so the bytes do not depend on the packing machine either (they do
 * depend on zlib's deflate implementation; the bundle `.manifest` revision is computed over
 * the content, not over these bytes).
 */
import { gunzipSync, gzipSync } from "node:zlib";

/** Block size of the tar format. */
const BLOCK = 512;
/** Fixed header values: the archive says nothing about who packed it, or when. */
export const TAR_FIXED = { mode: 0o644, uid: 0, gid: 0, mtime: 0 } as const;

/** File path -> content (UTF-8 text or bytes). */
export type TarFiles = ReadonlyMap<string, string | Uint8Array>;

function bytesOf(content: string | Uint8Array): Buffer {
  return typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
}

/** Writes `value` as a NUL-terminated octal field of `width` bytes at `offset`. */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  const s = value.toString(8).padStart(width - 1, "0");
  if (s.length > width - 1) throw new Error(`tar: value ${value} does not fit a ${width}-byte field`);
  header.write(s, offset, width - 1, "ascii");
  header[offset + width - 1] = 0;
}

/** Splits a path into ustar `prefix` (<= 155 bytes) and `name` (<= 100 bytes). */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== "") return { name, prefix };
  }
  throw new Error(`tar: path "${path}" is too long for a ustar header (name <= 100, prefix <= 155 bytes)`);
}

function checkPath(path: string): void {
  if (path === "" || path.startsWith("/") || path.endsWith("/") || path.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new Error(`tar: path "${path}" must be relative, without empty, "." or ".." segments`);
  }
}

function header(path: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const { name, prefix } = splitPath(path);
  h.write(name, 0, 100, "utf8");
  octal(h, 100, 8, TAR_FIXED.mode);
  octal(h, 108, 8, TAR_FIXED.uid);
  octal(h, 116, 8, TAR_FIXED.gid);
  octal(h, 124, 12, size);
  octal(h, 136, 12, TAR_FIXED.mtime);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write("0", 156, 1, "ascii"); // regular file
  h.write("ustar\u0000", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0"), 148, 6, "ascii");
  h[154] = 0;
  h[155] = 0x20;
  return h;
}

/** A ustar archive of `files`, entries sorted by path, with fixed metadata ({@link TAR_FIXED}). */
export function tar(files: TarFiles): Buffer {
  const parts: Buffer[] = [];
  for (const path of [...files.keys()].sort(comparePaths)) {
    checkPath(path);
    const body = bytesOf(files.get(path)!);
    parts.push(header(path, body.length), body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(2 * BLOCK, 0));
  return Buffer.concat(parts);
}

/** Byte-wise path order (the same in every locale). */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** gzip with a fixed header: mtime 0 (Node's default) and OS byte 255 ("unknown"). */
export function gzipDeterministic(data: Uint8Array): Buffer {
  const gz = gzipSync(data, { level: 9 });
  gz[9] = 0xff; // OS field: not covered by any checksum (no FHCRC flag)
  return gz;
}

/** A deterministic `.tar.gz` of `files` (see the module comment). */
export function tarGz(files: TarFiles): Buffer {
  return gzipDeterministic(tar(files));
}

function readOctal(b: Buffer, offset: number, width: number): number {
  const s = b.toString("ascii", offset, offset + width).replace(/[\0 ]+$/g, "").trim();
  return s === "" ? 0 : parseInt(s, 8);
}

function readString(b: Buffer, offset: number, width: number): string {
  const raw = b.subarray(offset, offset + width);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? width : end).toString("utf8");
}

/** One entry read back from an archive. */
export interface TarEntry {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  type: string;
  content: Buffer;
}

/**
 * Reads a ustar archive (regular files only; the subset {@link tar} writes). Verifies each
 * header checksum.
 */
export function untar(archive: Uint8Array): TarEntry[] {
  const buf = Buffer.from(archive);
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= buf.length) {
    const h = buf.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    const expected = readOctal(h, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (sum !== expected) throw new Error(`tar: bad header checksum at offset ${offset}`);
    const name = readString(h, 0, 100);
    const prefix = readString(h, 345, 155);
    const size = readOctal(h, 124, 12);
    const start = offset + BLOCK;
    entries.push({
      path: prefix ? `${prefix}/${name}` : name,
      mode: readOctal(h, 100, 8),
      uid: readOctal(h, 108, 8),
      gid: readOctal(h, 116, 8),
      mtime: readOctal(h, 136, 12),
      type: String.fromCharCode(h[156] || 0x30),
      content: Buffer.from(buf.subarray(start, start + size)),
    });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

/** Reads a `.tar.gz` back into path -> UTF-8 content. */
export function readTarGz(archive: Uint8Array): Map<string, string> {
  return new Map(untar(gunzipSync(archive)).map((e) => [e.path, e.content.toString("utf8")]));
}
