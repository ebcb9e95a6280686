#!/usr/bin/env node
import { readdirSync, readFileSync } from "node:fs"
/**
 * After `pnpm build`: loads every package's built output the way a consumer would, through its
 * `exports` map, as ESM and as CommonJS, and checks that internals are not importable.
 */
import { createRequire } from "node:module"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
// Resolve as the examples package would: it depends on the packages by name.
const require = createRequire(join(root, "examples", "package.json"))
const names = readdirSync(join(root, "packages")).map(
  (dir) => JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")).name
)
const failures = []
for (const name of names) {
  if (name === "@vouch/testing") continue // needs vitest's runtime to load
  try {
    const esm = await import(require.resolve(name).replace(/\.cjs$/, ".js"))
    const cjs = require(name)
    if (Object.keys(esm).length === 0 || Object.keys(cjs).length === 0) failures.push(`${name}: empty module`)
  } catch (error) {
    failures.push(`${name}: ${error.message.split("\n")[0]}`)
  }
  try {
    require(`${name}/src/index.ts`)
    failures.push(`${name}: internals are importable`)
  } catch {
    // expected: only the exports map's entries are public
  }
}
if (failures.length > 0) {
  console.error(`Built packages failed to load:\n${failures.map((f) => `  - ${f}`).join("\n")}`)
  process.exit(1)
}
console.log(`Built packages load as ESM and CommonJS: ${names.filter((n) => n !== "@vouch/testing").join(", ")}`)
