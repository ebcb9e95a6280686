import { PgProjectionLeader } from "@vouch/store-postgres"
import { Effect, Fiber, Option } from "effect"
import { describe, expect, it } from "vitest"
import { gate, pgLayer, rawClient, runWith, scratchSchema } from "./support.ts"

const { up } = await gate()

const eventually = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe.skipIf(!up)("PgProjectionLeader on PostgreSQL", () => {
  it("one instance leads a projection at a time; leadership moves when the leader's backend is terminated", async () => {
    const schema = scratchSchema()
    const options = { schema, retryInterval: "100 millis", checkInterval: "100 millis" } as const
    const active = { A: false, B: false }
    let overlaps = 0
    const work = (id: "A" | "B") =>
      Effect.sync(() => {
        active[id] = true
        if (active.A && active.B) overlaps++
      }).pipe(
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            active[id] = false
          })
        )
      )
    // Two instances: each with a pool of its own, as two processes would have.
    const instance = (id: "A" | "B") =>
      Effect.runFork(PgProjectionLeader.run("orders", work(id), options).pipe(Effect.provide(pgLayer(3))))
    const leaderPid = () =>
      runWith(pgLayer(1), PgProjectionLeader.leaderPid("orders", options)).then(Option.getOrUndefined)
    const killer = await rawClient()
    const a = instance("A")
    let b: Fiber.Fiber<never, unknown> | undefined
    try {
      await eventually("A leads", () => active.A)
      b = instance("B")
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(active).toEqual({ A: true, B: false })

      const pid = await leaderPid()
      expect(pid).toBeDefined()
      await killer.query("SELECT pg_terminate_backend($1)", [pid])
      await eventually("B takes over", () => active.B)
      await eventually("A stands down", () => !active.A, 2_000)
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(active).toEqual({ A: false, B: true })
      const next = await leaderPid()
      expect(next).toBeDefined()
      expect(next).not.toBe(pid)

      // A leader that stops releases the lock at once, and the follower takes over.
      await Effect.runPromise(Fiber.interrupt(b))
      await eventually("A leads again", () => active.A)
      expect(active.B).toBe(false)
      // The overlap window is bounded by checkInterval; this run had none or a brief one.
      expect(overlaps).toBeLessThanOrEqual(1)
    } finally {
      if (b !== undefined) await Effect.runPromise(Fiber.interrupt(b))
      await Effect.runPromise(Fiber.interrupt(a))
      await killer.end()
    }
    expect(await leaderPid()).toBeUndefined()
  })

  it("returns the work's result when it completes as leader, and releases the lock", () =>
    runWith(
      pgLayer(3),
      Effect.gen(function* () {
        const options = { schema: scratchSchema() }
        const result = yield* PgProjectionLeader.run("rebuild", Effect.succeed(42), options)
        expect(result).toBe(42)
        expect(Option.isNone(yield* PgProjectionLeader.leaderPid("rebuild", options))).toBe(true)
        const twice = yield* PgProjectionLeader.run(
          "rebuild",
          PgProjectionLeader.run("other", Effect.succeed("nested"), options),
          options
        )
        expect(twice).toBe("nested")
      })
    ))
})
