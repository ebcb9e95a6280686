import { Waiters } from "@vouch/core"
import { Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"

describe("Waiters", () => {
  it("wakes every fiber waiting, once, and forgets interrupted waits", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const waiters = Waiters.make()
        const woken: Array<number> = []
        const fibers = yield* Effect.forEach([1, 2, 3], (n) =>
          Effect.forkChild(
            Effect.andThen(
              waiters.wait,
              Effect.sync(() => woken.push(n))
            )
          )
        )
        yield* Effect.yieldNow
        expect(waiters.size()).toBe(3)
        yield* Fiber.interrupt(fibers[2]!)
        expect(waiters.size()).toBe(2)
        waiters.wakeAll()
        yield* Fiber.join(fibers[0]!)
        yield* Fiber.join(fibers[1]!)
        expect(woken.sort()).toEqual([1, 2])
        expect(waiters.size()).toBe(0)
      })
    ))

  it("does not wake, in the same round, a reader that registers again while being woken", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const waiters = Waiters.make()
        let rounds = 0
        // A reader that waits again as soon as it wakes, as a subscription loop does.
        const reader = Effect.gen(function* () {
          for (;;) {
            yield* waiters.wait
            rounds++
          }
        })
        const fiber = yield* Effect.forkChild(reader)
        yield* Effect.yieldNow
        waiters.wakeAll()
        yield* Effect.yieldNow
        expect(rounds).toBe(1)
        expect(waiters.size()).toBe(1)
        yield* Fiber.interrupt(fiber)
      })
    ))
})
