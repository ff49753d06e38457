/** Least privilege in GCP IAM and Azure RBAC: no basic/owner roles. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { gcpGrants } from "./identity";
import { ofType, TYPES } from "./types";
import { configWithDefaults, str, strings } from "./util";

/** GCP basic roles that grant (nearly) everything in their scope. */
export const DEFAULT_FORBIDDEN_GCP_ROLES = ["roles/owner", "roles/editor"];

/** Azure built-in role definition GUIDs that grant write or access-management on everything in scope. */
export const AZURE_PRIVILEGED_ROLES: Record<string, string> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
};

/** Least privilege in GCP: no `roles/owner`/`roles/editor` on projects, folders, organizations, buckets or service accounts. */
export const gcpNoBasicRoles: ResourceValidationPolicy = {
  name: "gcp-no-basic-roles",
  description:
    "GCP IAM (project, folder, organization, bucket and service account members, bindings and policies) must not grant basic roles (`roles/owner`, `roles/editor`): grant predefined or custom roles scoped to the need.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      forbiddenRoles: { type: "array", items: { type: "string" }, default: DEFAULT_FORBIDDEN_GCP_ROLES, description: "Roles never granted." },
    },
  },
  validateResource: (args, reportViolation) => {
    if (!TYPES.gcpIam.includes(args.type)) return;
    const { forbiddenRoles } = configWithDefaults(args.getConfig<{ forbiddenRoles: string[] }>(), { forbiddenRoles: DEFAULT_FORBIDDEN_GCP_ROLES });
    const forbidden = strings(forbiddenRoles);
    for (const { role, member } of gcpGrants(args.props)) {
      if (forbidden.includes(role)) reportViolation(`GCP IAM grants basic role ${role} to ${member}; grant a predefined or custom role with only the permissions needed.`);
    }
  },
};

/** The GUID a role definition ID ends with (lower case), or undefined. */
export function roleDefinitionGuid(id: string): string | undefined {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i.exec(id.trim());
  return m?.[1]?.toLowerCase();
}

/** Least privilege in Azure: no Owner, Contributor or User Access Administrator role assignments. */
export const azureNoPrivilegedRoleAssignments: ResourceValidationPolicy = {
  name: "azure-no-privileged-role-assignments",
  description:
    "Azure role assignments must not use the built-in Owner, Contributor or User Access Administrator roles: assign a data-plane or custom role scoped to the need.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      forbiddenRoleDefinitionIds: {
        type: "array",
        items: { type: "string" },
        default: Object.keys(AZURE_PRIVILEGED_ROLES),
        description: "Role definition GUIDs never assigned.",
      },
    },
  },
  validateResource: ofType(TYPES.azureRoleAssignment, (args, reportViolation) => {
    const cfg = configWithDefaults(args.getConfig<{ forbiddenRoleDefinitionIds: string[] }>(), {
      forbiddenRoleDefinitionIds: Object.keys(AZURE_PRIVILEGED_ROLES),
    });
    const forbidden = strings(cfg.forbiddenRoleDefinitionIds).map((g) => g.toLowerCase());
    const id = str(args.props.roleDefinitionId);
    const guid = id === undefined ? undefined : roleDefinitionGuid(id);
    if (guid !== undefined && forbidden.includes(guid)) {
      const name = AZURE_PRIVILEGED_ROLES[guid] ?? guid;
      reportViolation(`Role assignment grants the privileged built-in role ${name} (${guid}); assign a narrower built-in or custom role.`);
    }
  }),
};
