/** The one build every package shares: ESM and CommonJS with bundled declarations, for Node 20+. */
import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  tsconfig: "../../tsconfig.build.json"
})
