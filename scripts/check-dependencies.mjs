#!/usr/bin/env node
/**
 * Dependency direction, checked rather than hoped for. Fails (exit 1) when:
 * - @vouch/core imports anything but effect, immer, uuid and its own modules;
 * - a package that is not a store adapter imports a store package;
 * - a domain package imports node built-ins (domain code does no I/O);
 * - anything but a store adapter imports effect's SQL modules (they may change in minor releases);
 * - a package's source imports a package its package.json does not declare;
 * - the workspace pins more than one version of effect, or pins it with a range.
 * Only `src/` is checked: tests and benchmarks may use stores and node built-ins.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const packagesDir = join(root, "packages")
const problems = []

const sourceFiles = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(name) ? [path] : []
  })

// Static imports, re-exports, dynamic imports and type-only imports alike.
const importPattern =
  /(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm

const packageOf = (specifier) => {
  if (specifier.startsWith("node:")) return "node:"
  const parts = specifier.split("/")
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]
}

const isStore = (name) => name.startsWith("@vouch/store-")
const domainPackages = new Set(["@vouch/core", "@vouch/commitments", "@vouch/complaints"])
const effectVersions = new Map()

const manifests = [join(root, "package.json"), join(root, "examples", "package.json")]
for (const dir of readdirSync(packagesDir)) manifests.push(join(packagesDir, dir, "package.json"))
for (const file of manifests) {
  let manifest
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"))
  } catch {
    continue
  }
  for (const field of ["dependencies", "devDependencies", "peerDependencies"]) {
    const version = manifest[field]?.effect
    if (version !== undefined) effectVersions.set(`${manifest.name} ${field}`, version)
  }
}
const pinned = new Set(effectVersions.values())
if (pinned.size !== 1 || ![...pinned].every((v) => /^\d+\.\d+\.\d+$/.test(v))) {
  problems.push(
    `effect must be pinned to one exact version everywhere; found ${JSON.stringify(Object.fromEntries(effectVersions))}`
  )
}

for (const dir of readdirSync(packagesDir)) {
  const manifestPath = join(packagesDir, dir, "package.json")
  let manifest
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"))
  } catch {
    continue
  }
  const name = manifest.name
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {})
  ])
  let files = []
  try {
    files = sourceFiles(join(packagesDir, dir, "src"))
  } catch {
    continue
  }
  for (const file of files) {
    const text = readFileSync(file, "utf8")
    const where = file.slice(root.length)
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2] ?? match[3]
      if (specifier === undefined || specifier.startsWith(".")) continue
      const dependency = packageOf(specifier)
      if (name === "@vouch/core" && !["effect", "immer", "uuid"].includes(dependency)) {
        problems.push(`${where}: @vouch/core may import only effect, immer and uuid, not "${specifier}"`)
      }
      if (!isStore(name) && isStore(dependency))
        problems.push(`${where}: ${name} is not a store adapter and must not import "${specifier}"`)
      if (domainPackages.has(name) && dependency === "node:")
        problems.push(`${where}: domain package ${name} must not import "${specifier}" (no I/O)`)
      if (!isStore(name) && /^effect\/(sql|unstable)(\/|$)/.test(specifier)) {
        problems.push(`${where}: only store adapters may import "${specifier}"`)
      }
      if (dependency !== "node:" && dependency !== name && !declared.has(dependency)) {
        problems.push(`${where}: imports "${specifier}" but ${name} does not declare ${dependency} as a dependency`)
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Dependency check failed:\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  process.exit(1)
}
console.log(`Dependency check passed: ${readdirSync(packagesDir).length} packages, effect pinned at ${[...pinned][0]}.`)
