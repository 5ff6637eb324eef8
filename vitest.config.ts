import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // PGlite takes seconds to boot and a few hundred MB: one per file, files two at a time.
    pool: 'forks',
    maxWorkers: 2,
    // A safety net, not a measure: CI cores can be slow and shared, and nothing asserts a time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
