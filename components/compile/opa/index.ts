/** The OPA bundle compiler: model -> per-zone platform and domain bundles, plus a TypeScript twin of the Rego decision. */
export * from "./types";
export { compileOpaBundles, accessOfMethod, domainRoot, DECISION_PATH, PLATFORM_ROOT, POLICY_ROOT, type CompileOpaOptions } from "./compile";
export { bundleFiles, bundleRevision, canonicalJson, readPolicyModules, regoDir } from "./files";
export { decide, dataTree, type CheckInput, type Decision, type ZtmeshData } from "./decide";
