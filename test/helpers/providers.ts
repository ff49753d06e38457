/** Provider stand-ins for component tests. */
import type * as Pulumi from "@pulumi/pulumi";

/**
 * A provider of the azure-native package (type `pulumi:providers:azure-native`), without loading
 * the whole SDK. Imports `@pulumi/pulumi` when called, so the test's mocks are set up first.
 */
export async function azureNativeProvider(name: string): Promise<Pulumi.ProviderResource> {
  const pulumi = await import("@pulumi/pulumi");
  class AzureNativeProvider extends pulumi.ProviderResource {
    constructor(n: string) {
      super("azure-native", n, {});
    }
  }
  return new AzureNativeProvider(name);
}
