import { defineConfig } from "vitest/config";

// Pulumi keeps global runtime state per process (settings, mocks, config), so every
// test file runs in its own forked process.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    isolate: true,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
