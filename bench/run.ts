/**
 * `pnpm bench`: runs every package's bench file in turn, against the built packages (the root
 * script builds them first), since that is the code applications run. Set VOUCH_BENCH_RUNS to
 * change the number of runs per workload (default 3), VOUCH_BENCH_FILTER to run matching
 * workloads only, and VOUCH_BENCH_SOURCE=1 to run the TypeScript sources instead (no build
 * needed, but tsx's closure naming makes them slower).
 */
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const files = readdirSync(join(root, "packages"))
  .map((pkg) => join(root, "packages", pkg, "bench", "bench.ts"))
  .filter((file) => existsSync(file))

console.log(`# Vouch benchmarks — node ${process.version}, ${new Date().toISOString()}`)
let failed = false
for (const file of files) {
  const source = process.env.VOUCH_BENCH_SOURCE === "1" ? ["--conditions=@vouch/source"] : []
  const result = spawnSync(process.execPath, [...source, "--import", "tsx", "--expose-gc", file], {
    stdio: "inherit",
    env: process.env
  })
  if (result.status !== 0) failed = true
}
process.exit(failed ? 1 : 0)
