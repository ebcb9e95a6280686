/** Runs the demo on both stores and checks the figures it prints are the ones the rules give. */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = new URL("..", import.meta.url).pathname
const run = (args: ReadonlyArray<string>) =>
  execFileSync(process.execPath, ["--conditions=@vouch/source", "--import", "tsx", "examples/demo.ts", ...args], {
    encoding: "utf8",
    cwd: root
  })

describe("the demo", () => {
  for (const store of ["memory", "file"] as const) {
    it(`computes the clocks of a Friday-evening complaint on the ${store} store`, () => {
      const directory = mkdtempSync(join(tmpdir(), "vouch-demo-"))
      try {
        const out = run(store === "memory" ? ["--memory"] : ["--dir", join(directory, "store")])
        // 24 business hours from Friday 18:30 (closed): Mon, Tue, Wed 7.5 h each, then 1.5 h on Thursday.
        expect(out).toMatch(/FirstReply +due 2025-03-13T10:30 \(calendar cn-mainland v2\)/)
        expect(out).toMatch(/SolutionProposed +due 2025-03-18T12:00/)
        // Paused Monday 10:00 to Tuesday 14:00: 6.5 business hours move the due instant to Wednesday 16:00.
        expect(out).toContain("the solution is now due 2025-03-19T16:00")
        expect(out).toContain("why: DeadlinePassed; due 2025-03-19T16:00, breached at 2025-03-19T16:00")
        expect(out).toMatch(/issues nothing new: \{"examined":0,"issued":0/)
        expect(out).toMatch(/solution-proposed +started 1, met 0, breached 1/)
      } finally {
        rmSync(directory, { recursive: true, force: true })
      }
    })
  }

  it("walks a complaint from receipt to survey with the workflow driving its clocks", () => {
    const out = execFileSync(
      process.execPath,
      ["--conditions=@vouch/source", "--import", "tsx", "examples/complaint-lifecycle.ts"],
      {
        encoding: "utf8",
        cwd: root
      }
    )
    // 8 business hours from Friday 19:00: Monday 7.5 h, then Tuesday 09:00–09:30.
    expect(out).toContain("first-reply Running due 2024-03-12 09:30")
    expect(out).toMatch(/Fri 19:00 received by phone +Open +owner=li assignee=li/)
    expect(out).toMatch(/escalated to billing +Open +owner=li assignee=billing-team/)
    expect(out).toContain("survey 1: Answered")
  })
})
