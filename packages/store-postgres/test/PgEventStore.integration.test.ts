import { EventStoreSuite } from "@vouch/testing"
import { describe, it } from "vitest"
import { reachable, scratchStore, where } from "./support.ts"

const up = await reachable()
const required = process.env.VOUCH_REQUIRE_POSTGRES === "1"

if (!up && required) {
  describe("PostgreSQL", () => {
    it(`is required (VOUCH_REQUIRE_POSTGRES=1) but not reachable at ${where}`, () => {
      throw new Error(`PostgreSQL not reachable at ${where}`)
    })
  })
}

EventStoreSuite.run({
  name: "postgres",
  layer: scratchStore(),
  skip: up ? undefined : `PostgreSQL not reachable at ${where}`
})
