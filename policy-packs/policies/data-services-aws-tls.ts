/**
 * TLS that AWS databases enforce through parameter groups: RDS instances and clusters
 * (`rds.force_ssl` for PostgreSQL and SQL Server, `require_secure_transport` for MySQL and
 * MariaDB), Redshift (`require_ssl`) and DocumentDB (`tls`). The group is another resource, so
 * this is a stack policy: a database's group is the group in the stack whose `name` its
 * `parameterGroupName` (`dbClusterParameterGroupName`, `clusterParameterGroupName`) names, or,
 * when that name is not known, the one group of the right type it depends on.
 *
 * Limits (what cannot be judged from the stack): a group managed outside the stack is trusted
 * only when listed in `externalTlsParameterGroups`; Oracle and Db2 (TLS through option groups
 * and `db2comm`) are not judged; instances of an Aurora cluster take the cluster's group.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { resourcesOfType } from "./stack-index";
import { TYPES } from "./types";
import { asArray, asRecord, configWithDefaults, isUnknown, judgeEach, num, peek, str, strings } from "./util";

interface TlsConfig {
  externalTlsParameterGroups: string[];
}

/** How an engine is told to require TLS. */
interface TlsParameter {
  name: string;
  /** Accepted values, lower case. */
  on: string[];
  /** True when the engine's default (its default group) already requires TLS. */
  defaultOn: boolean;
}

function postgresMajor(version: string | undefined): number | undefined {
  if (version === undefined) return undefined;
  return num(version.split(".")[0]);
}

/**
 * The parameter an RDS engine requires TLS with. RDS for PostgreSQL 15 and later defaults
 * `rds.force_ssl` to 1 (an unset engineVersion takes the current default, which is later);
 * Aurora PostgreSQL, older PostgreSQL, SQL Server, MySQL and MariaDB default to off.
 */
export function rdsTlsParameter(engine: string, engineVersion: string | undefined): TlsParameter | undefined {
  const e = engine.toLowerCase();
  if (e === "postgres") {
    const major = postgresMajor(engineVersion);
    return { name: "rds.force_ssl", on: ["1"], defaultOn: major === undefined || major >= 15 };
  }
  if (e === "aurora-postgresql" || e.startsWith("sqlserver")) return { name: "rds.force_ssl", on: ["1"], defaultOn: false };
  if (["mysql", "mariadb", "aurora-mysql", "aurora"].includes(e)) return { name: "require_secure_transport", on: ["1", "on", "true"], defaultOn: false };
  return undefined;
}

/** The value a parameter group sets for `name`, if any. */
export function parameterValue(group: Record<string, unknown>, name: string): string | undefined {
  for (const p of asArray(group.parameters)) {
    const r = asRecord(p);
    if (str(r?.name)?.toLowerCase() !== name.toLowerCase()) continue;
    const v = r?.value;
    return typeof v === "number" || typeof v === "boolean" ? String(v) : str(v);
  }
  return undefined;
}

type GroupRef = { kind: "default" } | { kind: "stack"; group: PolicyResource } | { kind: "external"; name: string };

/** The group a database names in `field` (see the module comment). Reads the name only when no dependency settles it. */
function groupOf(db: PolicyResource, field: string, groups: PolicyResource[]): GroupRef {
  const raw = peek(db.props, field);
  if (raw === undefined || raw === null || raw === "") return { kind: "default" };
  if (isUnknown(raw)) {
    const deps = groups.filter((g) => db.dependencies.some((d) => d.urn === g.urn));
    if (deps.length === 1) return { kind: "stack", group: deps[0] };
  }
  const name = str(db.props[field]) ?? "";
  const named = groups.find((g) => str(peek(g.props, "name")) === name);
  if (named) return { kind: "stack", group: named };
  if (name.startsWith("default.") || name.startsWith("default:")) return { kind: "default" };
  return { kind: "external", name };
}

/** The problem of a database whose TLS is set by `param` in the group `ref` (undefined: TLS required). */
export function tlsProblem(label: string, param: TlsParameter, ref: GroupRef, trusted: string[]): string | undefined {
  const want = `${param.name} = ${param.on[0]}`;
  if (ref.kind === "default") {
    return param.defaultOn ? undefined : `${label} uses the default parameter group, which does not require TLS; use a parameter group with ${want}.`;
  }
  if (ref.kind === "external") {
    return trusted.includes(ref.name)
      ? undefined
      : `${label} uses parameter group "${ref.name}", which is not in this stack, so whether it requires TLS cannot be checked; manage the group in the stack (with ${want}) or list it in externalTlsParameterGroups.`;
  }
  const groupName = str(peek(ref.group.props, "name")) ?? ref.group.name;
  const value = parameterValue(ref.group.props, param.name);
  if (value === undefined) return param.defaultOn ? undefined : `${label} uses parameter group "${groupName}", which does not set ${want}; TLS is not required.`;
  return param.on.includes(value.toLowerCase()) ? undefined : `${label} uses parameter group "${groupName}", which sets ${param.name} to "${value}"; set ${want}.`;
}

/**
 * Reports every TLS problem of the stack's RDS instances and clusters, Redshift clusters and
 * DocumentDB clusters on the database. A database with a value unknown at preview is judged
 * last: its error (the host's advisory) is rethrown after the others are reported.
 */
export function reportDatabaseTlsProblems(all: PolicyResource[], trusted: string[], report: (message: string, urn: string) => void): void {
  const work: (() => void)[] = [];
  const judge = (dbs: PolicyResource[], kind: string, field: string, groupTypes: string, param: (db: PolicyResource) => TlsParameter | undefined) => {
    const groups = resourcesOfType(all, groupTypes);
    for (const db of dbs) {
      work.push(() => {
        const p = param(db);
        if (p === undefined) return;
        const message = tlsProblem(`${kind} "${db.name}"`, p, groupOf(db, field, groups), trusted);
        if (message !== undefined) report(message, db.urn);
      });
    }
  };
  const rdsParam = (db: PolicyResource) => {
    // A read replica inherits its source's engine; an instance of a cluster its cluster's group.
    const engine = str(db.props.engine);
    return engine === undefined ? undefined : rdsTlsParameter(engine, str(db.props.engineVersion));
  };
  judge(resourcesOfType(all, TYPES.awsRdsInstance), "RDS instance", "parameterGroupName", TYPES.awsRdsParameterGroup, rdsParam);
  judge(resourcesOfType(all, TYPES.awsRdsCluster), "RDS cluster", "dbClusterParameterGroupName", TYPES.awsRdsClusterParameterGroup, rdsParam);
  judge(resourcesOfType(all, TYPES.awsRedshiftCluster), "Redshift cluster", "clusterParameterGroupName", TYPES.awsRedshiftParameterGroup, () => ({
    name: "require_ssl",
    on: ["true", "1"],
    defaultOn: false,
  }));
  // DocumentDB requires TLS unless a group turns `tls` off.
  judge(resourcesOfType(all, TYPES.awsDocdbCluster), "DocumentDB cluster", "dbClusterParameterGroupName", TYPES.awsDocdbClusterParameterGroup, () => ({
    name: "tls",
    on: ["enabled", "fips-140-3", "tls1.2+", "tls1.3+"],
    defaultOn: true,
  }));
  judgeEach(work, (w) => w());
}

const DEFAULTS: TlsConfig = { externalTlsParameterGroups: [] };

/** AWS databases whose TLS is a parameter-group setting require TLS. */
export const awsDatabaseTlsRequired: StackValidationPolicy = {
  name: "aws-database-tls-required",
  description:
    "RDS instances and clusters (PostgreSQL and SQL Server: `rds.force_ssl = 1`; MySQL, MariaDB and Aurora MySQL: `require_secure_transport = 1`), Redshift clusters (`require_ssl = true`) and DocumentDB clusters (`tls` not disabled) require TLS through their parameter group; a default group counts only where the engine's default requires TLS (RDS for PostgreSQL 15+, DocumentDB). A group outside the stack cannot be judged and fails unless listed in `externalTlsParameterGroups`. Without this, a client may read the data in plaintext on the wire.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      externalTlsParameterGroups: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Names of parameter groups managed outside the stack that you vouch require TLS.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configWithDefaults(args.getConfig<TlsConfig>(), DEFAULTS);
    reportDatabaseTlsProblems(args.resources, strings(cfg.externalTlsParameterGroups), (message, urn) => reportViolation(message, urn));
  },
};
