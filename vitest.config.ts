import { defineConfig } from 'vitest/config';

// CI machines have 2 cores: run test files in at most 2 forked workers (onnxruntime sessions are native and
// heavy; forks isolate them). Timeouts are generous because some tests train or evaluate real models.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
