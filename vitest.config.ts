import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Engine tests build real images; give them room, but never sleep in a test.
    testTimeout: 120_000,
    // Cleanup hooks remove images: on a loaded engine two files took over 120 s (issue 16 CI run).
    hookTimeout: 300_000,
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default'],
  },
});
