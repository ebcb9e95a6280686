/**
 * Keeps the README true to the code: its "A taste" snippet must be exactly examples/taste.ts,
 * which the typecheck covers, and running it must print the closed state.
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

const root = new URL("..", import.meta.url).pathname

describe("README", () => {
  it("shows examples/taste.ts verbatim", () => {
    const readme = readFileSync(`${root}README.md`, "utf8")
    const taste = readFileSync(`${root}examples/taste.ts`, "utf8")
    expect(readme).toContain(`\`\`\`ts\n${taste}\`\`\``)
  })
  it("runs the taste and prints the closed ticket", () => {
    const out = execFileSync(
      process.execPath,
      ["--conditions=@vouch/source", "--import", "tsx", `${root}examples/taste.ts`],
      {
        encoding: "utf8",
        cwd: root
      }
    )
    expect(out.trim()).toBe("{ status: 'closed' }")
  })
})
