import { defineConfig } from "vitest/config";

// Pulumi keeps global runtime state per process (settings, mocks, config), so every
// test file runs in its own forked process.
// The package tests (npm pack, a full install from the tarballs: about a minute, mostly disk)
// run in CI after the build (`npm run test:package`, .ci/run), not in `npm test`.
const PACKAGE_TESTS = ["test/cli/publish.test.ts"];

export default defineConfig({
  test: {
    include: process.env.ZTMESH_PACKAGE_TESTS === "1" ? PACKAGE_TESTS : ["test/**/*.test.ts"],
    exclude: process.env.ZTMESH_PACKAGE_TESTS === "1" ? [] : PACKAGE_TESTS,
    pool: "forks",
    isolate: true,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
