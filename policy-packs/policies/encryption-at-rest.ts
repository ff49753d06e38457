/**
 * Data stores are encrypted at rest with a customer-managed key wherever the service offers
 * one (the service table is in encryption-at-rest-services.ts). A stack policy: S3 buckets and
 * Azure SQL servers are encrypted by separate resources (the bucket's SSE configuration, the
 * server's encryption protector), and BigQuery tables inherit their dataset's key.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { ENCRYPTED_SERVICES, ENCRYPTED_SERVICE_IDS } from "./encryption-at-rest-services";
import { resourcesOfType } from "./stack-index";
import { configWithDefaults, judgeEach, strings } from "./util";

interface EncryptionConfig {
  services: string[];
  excludeServices: string[];
}

const DEFAULTS: EncryptionConfig = { services: [...ENCRYPTED_SERVICE_IDS], excludeServices: [] };

/**
 * Stores use customer-managed keys. Key Vault is where Azure's customer-managed keys live, not a
 * store encrypted with one: it is judged by azure-data-services-private-tls (network, purge protection).
 */
export const dataEncryptionAtRestCmk: StackValidationPolicy = {
  name: "data-encryption-at-rest-cmk",
  description:
    "Data stores are encrypted at rest with a customer-managed key, not the provider's default or provider-managed key, so that the customer can audit, rotate and revoke access to the data: AWS RDS/Aurora, DocumentDB, Neptune, Redshift, DynamoDB, DMS, OpenSearch, ElastiCache, MemoryDB, MSK, Kinesis, SQS, Backup vaults, SSM SecureString parameters, Secrets Manager and S3 (a KMS key that is not an `alias/aws/...` key); Azure SQL (TDE protector in Key Vault), PostgreSQL/MySQL flexible servers, Cosmos DB, storage accounts, Event Hubs and Service Bus (Key Vault keys); GCP Cloud SQL, BigQuery datasets and tables, Memorystore, Pub/Sub, Secret Manager, Spanner and GCS (Cloud KMS keys). A key that is another resource's output (unknown at preview) counts as customer-managed. `services`/`excludeServices` choose the services judged.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      services: {
        type: "array",
        items: { type: "string", enum: [...ENCRYPTED_SERVICE_IDS] },
        default: [...ENCRYPTED_SERVICE_IDS],
        description: "Services whose stores must use a customer-managed key (default: every service the policy knows).",
      },
      excludeServices: {
        type: "array",
        items: { type: "string", enum: [...ENCRYPTED_SERVICE_IDS] },
        default: [],
        description: "Services exempted, e.g. [\"azure-eventhub\", \"azure-servicebus\"] below the Premium tier.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configWithDefaults(args.getConfig<EncryptionConfig>(), DEFAULTS);
    const chosen = new Set(strings(cfg.services));
    for (const x of strings(cfg.excludeServices)) chosen.delete(x);
    const stores = ENCRYPTED_SERVICES.filter((s) => chosen.has(s.id)).flatMap((service) => resourcesOfType(args.resources, service.types).map((resource) => ({ service, resource })));
    // A store with a value unknown at preview becomes the host's advisory after the others are judged.
    judgeEach(stores, ({ service, resource }) => {
      const problem = service.problem(resource.props, { resource, all: args.resources });
      if (problem !== undefined) reportViolation(`${service.label} "${resource.name}" is not encrypted at rest with a customer-managed key: ${problem}.`, resource.urn);
    });
  },
};
