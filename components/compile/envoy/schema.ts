/**
 * An offline Envoy config checker: walks a JSON/YAML-shaped object against the real Envoy
 * v3 message types, loaded from the `.proto` files `@grpc/grpc-js-xds` ships (envoy-api,
 * xds, googleapis, protoc-gen-validate) with protobufjs. Used by tests and by the policy
 * pack, so it lives in the core (no Pulumi imports).
 *
 * Checked: unknown fields (snake_case or lowerCamelCase accepted), scalar types and ranges,
 * enum values, `google.protobuf.Any` by its `@type` URL (recursively), the JSON forms of the
 * well-known types (Duration `"0.25s"`, wrappers as plain scalars, Struct/Value free-form),
 * and at most one member per oneof. Not checked: protoc-gen-validate rules (required,
 * min_len, ...), deprecation.
 *
 * The Envoy contrib filters `postgres_proxy` (v3alpha) and `mysql_proxy` (v3) are not
 * shipped by the package; their messages are declared below from the contrib API
 * (`api/contrib/envoy/extensions/filters/network/{postgres,mysql}_proxy`, as of Envoy 1.37).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";

/** Proto files loaded (their imports follow). Extensions not listed here are unknown `@type`s. */
export const ENVOY_PROTO_FILES: readonly string[] = [
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto",
  "envoy/extensions/filters/http/rbac/v3/rbac.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto",
  "envoy/extensions/filters/network/rbac/v3/rbac.proto",
  "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto",
  "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto",
  "envoy/extensions/filters/network/sni_dynamic_forward_proxy/v3/sni_dynamic_forward_proxy.proto",
  "envoy/extensions/clusters/dynamic_forward_proxy/v3/cluster.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/transport_sockets/starttls/v3/starttls.proto",
  "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto",
  "envoy/extensions/access_loggers/file/v3/file.proto",
  "envoy/extensions/access_loggers/stream/v3/stream.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
];

/** Contrib messages not shipped by `@grpc/grpc-js-xds`, declared from envoyproxy/envoy `contrib/`. */
const CONTRIB_PROTO = `
syntax = "proto3";
package envoy.extensions.filters.network.postgres_proxy.v3alpha;
message PostgresProxy {
  enum SSLMode { DISABLE = 0; REQUIRE = 1; ALLOW = 2; }
  string stat_prefix = 1;
  .google.protobuf.BoolValue enable_sql_parsing = 2;
  bool terminate_ssl = 3 [deprecated = true];
  SSLMode upstream_ssl = 4;
  SSLMode downstream_ssl = 5;
}
`;
const CONTRIB_MYSQL_PROTO = `
syntax = "proto3";
package envoy.extensions.filters.network.mysql_proxy.v3;
message MySQLProxy {
  string stat_prefix = 1;
  string access_log = 2;
}
`;

let cachedRoot: protobuf.Root | undefined;

/** The include directories: the package's proto roots plus protobufjs's own `google/protobuf` files. */
function includeDirs(): string[] {
  const xds = path.dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
  const pbjs = path.dirname(require.resolve("protobufjs/package.json"));
  return [
    ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => path.join(xds, "deps", d)),
    pbjs,
  ];
}

/** Loads the Envoy protos once per process (about 0.2 s) and returns the resolved root. */
export function envoyProtoRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const dirs = includeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    for (const d of dirs) {
      const p = path.join(d, target);
      if (fs.existsSync(p)) return p;
    }
    return target;
  };
  root.loadSync([...ENVOY_PROTO_FILES], { keepCase: true });
  protobuf.parse(CONTRIB_PROTO, root, { keepCase: true });
  protobuf.parse(CONTRIB_MYSQL_PROTO, root, { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

/** Looks up a message type by full name (no leading dot); undefined when unknown. */
export function lookupMessage(fullName: string): protobuf.Type | undefined {
  const found = envoyProtoRoot().lookup(fullName);
  return found instanceof protobuf.Type && found.fullName === `.${fullName}` ? found : undefined;
}

/** protobuf JSON name: `stat_prefix` -> `statPrefix`. */
function jsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const fieldIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
function fieldsOf(type: protobuf.Type): Map<string, protobuf.Field> {
  let idx = fieldIndex.get(type);
  if (!idx) {
    idx = new Map();
    for (const f of type.fieldsArray) {
      idx.set(f.name, f);
      idx.set(jsonName(f.name), f);
      const custom = f.options?.["json_name"];
      if (typeof custom === "string") idx.set(custom, f);
    }
    fieldIndex.set(type, idx);
  }
  return idx;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const child = (p: string, key: string): string => (IDENT.test(key) ? `${p}.${key}` : `${p}[${JSON.stringify(key)}]`);
const describe = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const INT_RANGE: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

/** Checks a scalar of proto type `type`; returns an error message or undefined. */
function checkScalar(type: string, v: unknown): string | undefined {
  switch (type) {
    case "string":
      return typeof v === "string" ? undefined : `expected string, got ${describe(v)}`;
    case "bool":
      return typeof v === "boolean" ? undefined : `expected bool, got ${describe(v)}`;
    case "bytes":
      return typeof v === "string" && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v) ? undefined : `expected base64 bytes, got ${describe(v)}`;
    case "double":
    case "float":
      if (typeof v === "number" || (typeof v === "string" && /^(NaN|-?Infinity|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(v))) return undefined;
      return `expected ${type}, got ${describe(v)}`;
  }
  const range = INT_RANGE[type];
  if (!range) return `unsupported scalar type ${type}`;
  let n: bigint;
  if (typeof v === "number" && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === "string" && /^-?\d+$/.test(v)) n = BigInt(v);
  else return `expected ${type}, got ${describe(v)}${typeof v === "number" ? ` ${v}` : ""}`;
  return n < range[0] || n > range[1] ? `${type} out of range: ${String(v)}` : undefined;
}

const WRAPPERS: Record<string, string> = {
  ".google.protobuf.DoubleValue": "double",
  ".google.protobuf.FloatValue": "float",
  ".google.protobuf.Int64Value": "int64",
  ".google.protobuf.UInt64Value": "uint64",
  ".google.protobuf.Int32Value": "int32",
  ".google.protobuf.UInt32Value": "uint32",
  ".google.protobuf.BoolValue": "bool",
  ".google.protobuf.StringValue": "string",
  ".google.protobuf.BytesValue": "bytes",
};
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Well-known types with a special JSON form. Returns true when handled. */
function checkWellKnown(type: protobuf.Type, v: unknown, p: string, errors: string[]): boolean {
  const name = type.fullName;
  const wrapped = WRAPPERS[name];
  if (wrapped) {
    const err = checkScalar(wrapped, v);
    if (err) errors.push(`${p}: ${err}`);
    return true;
  }
  switch (name) {
    case ".google.protobuf.Duration":
      if (typeof v !== "string" || !DURATION.test(v)) errors.push(`${p}: expected a duration such as "0.25s", got ${JSON.stringify(v)}`);
      return true;
    case ".google.protobuf.Timestamp":
      if (typeof v !== "string" || !TIMESTAMP.test(v)) errors.push(`${p}: expected an RFC 3339 timestamp, got ${JSON.stringify(v)}`);
      return true;
    case ".google.protobuf.FieldMask":
      if (typeof v !== "string") errors.push(`${p}: expected a field mask string, got ${describe(v)}`);
      return true;
    case ".google.protobuf.Struct":
      if (!isObject(v)) errors.push(`${p}: expected an object (Struct), got ${describe(v)}`);
      return true;
    case ".google.protobuf.ListValue":
      if (!Array.isArray(v)) errors.push(`${p}: expected an array (ListValue), got ${describe(v)}`);
      return true;
    case ".google.protobuf.Value":
      return true;
    case ".google.protobuf.Any":
      checkAny(v, p, errors);
      return true;
  }
  return false;
}

function checkAny(v: unknown, p: string, errors: string[]): void {
  if (!isObject(v)) {
    errors.push(`${p}: expected an object with "@type" (Any), got ${describe(v)}`);
    return;
  }
  const url = v["@type"];
  if (typeof url !== "string") {
    errors.push(`${child(p, "@type")}: missing or not a string`);
    return;
  }
  const type = lookupMessage(url.slice(url.lastIndexOf("/") + 1));
  if (!type) {
    errors.push(`${child(p, "@type")}: unknown type URL "${url}"`);
    return;
  }
  const { "@type": _ignored, ...rest } = v;
  const special = WRAPPERS[type.fullName] !== undefined || /^\.google\.protobuf\.(Duration|Timestamp|FieldMask|Struct|ListValue|Value|Any)$/.test(type.fullName);
  if (special) {
    for (const k of Object.keys(rest)) if (k !== "value") errors.push(`${child(p, k)}: unknown field (expected "value")`);
    checkMessage(type, rest["value"], child(p, "value"), errors);
  } else {
    checkMessage(type, rest, p, errors);
  }
}

function checkField(field: protobuf.Field, v: unknown, p: string, errors: string[]): void {
  if (field instanceof protobuf.MapField) {
    if (!isObject(v)) {
      errors.push(`${p}: expected a map (object), got ${describe(v)}`);
      return;
    }
    for (const [k, item] of Object.entries(v)) {
      if (field.keyType !== "string") {
        const keyValue = field.keyType === "bool" ? (k === "true" ? true : k === "false" ? false : k) : k;
        const err = checkScalar(field.keyType, keyValue);
        if (err) errors.push(`${child(p, k)}: map key: ${err}`);
      }
      checkValue(field, item, child(p, k), errors);
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(v)) {
      errors.push(`${p}: expected a list, got ${describe(v)}`);
      return;
    }
    v.forEach((item, i) => checkValue(field, item, `${p}[${i}]`, errors));
    return;
  }
  checkValue(field, v, p, errors);
}

function checkValue(field: protobuf.Field, v: unknown, p: string, errors: string[]): void {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    if (v === null && rt.fullName === ".google.protobuf.NullValue") return;
    const known = typeof v === "string" ? v in rt.values : typeof v === "number" && Object.values(rt.values).includes(v);
    if (!known) errors.push(`${p}: unknown ${rt.name} value ${JSON.stringify(v)} (expected one of ${Object.keys(rt.values).join(", ")})`);
    return;
  }
  if (rt instanceof protobuf.Type) {
    checkMessage(rt, v, p, errors);
    return;
  }
  const err = checkScalar(field.type, v);
  if (err) errors.push(`${p}: ${err}`);
}

function checkMessage(type: protobuf.Type, v: unknown, p: string, errors: string[]): void {
  if (checkWellKnown(type, v, p, errors)) return;
  if (!isObject(v)) {
    errors.push(`${p}: expected a ${type.name} message (object), got ${describe(v)}`);
    return;
  }
  const fields = fieldsOf(type);
  const oneofs = new Map<string, string[]>();
  for (const [key, item] of Object.entries(v)) {
    const field = fields.get(key);
    const fp = child(p, key);
    if (!field) {
      errors.push(`${fp}: unknown field of ${type.fullName.slice(1)}`);
      continue;
    }
    if (item === null) continue; // JSON null means "unset"
    if (field.partOf) oneofs.set(field.partOf.name, [...(oneofs.get(field.partOf.name) ?? []), key]);
    checkField(field, item, fp, errors);
  }
  for (const [name, members] of oneofs) {
    if (members.length > 1) errors.push(`${p}: oneof ${name} has more than one member set (${members.join(", ")})`);
  }
}

/**
 * Validates an Envoy config object (e.g. a compiled bootstrap, or YAML parsed to JSON)
 * against message type `typeName`. Returns one message per problem, each starting with the
 * JSON path (`$.static_resources.listeners[0]...`); empty when valid.
 */
export function validateEnvoyConfig(obj: unknown, typeName = "envoy.config.bootstrap.v3.Bootstrap"): string[] {
  const type = lookupMessage(typeName);
  if (!type) return [`$: unknown message type ${typeName}`];
  const errors: string[] = [];
  checkMessage(type, obj, "$", errors);
  return errors;
}
