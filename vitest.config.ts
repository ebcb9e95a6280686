import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["@vouch/source"] },
  ssr: { resolve: { conditions: ["@vouch/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
