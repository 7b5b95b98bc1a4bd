import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e`: the packaged extension in a real VS Code (code-server + Chromium), test/e2e/.
 * Only `*.e2e.ts` files: `npm test` (vitest.config.ts, `*.test.ts` files) does not pick them up, nor
 * does this config pick up the unit tests. One file, its steps in order in one editor session; the
 * first run installs code-server in the file's beforeAll (one to three minutes), hence the long hook
 * timeout.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
    reporters: ["verbose"],
  },
});
