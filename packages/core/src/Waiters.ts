/**
 * Fibers waiting for "something was appended". Every store that can notify in-process needs
 * this, and it has one trap worth solving once: a woken reader may run at once, synchronously,
 * and register again while the waker is still iterating — so `wakeAll` empties the set before
 * waking anyone, and a reader that re-registers waits for the next append.
 */
import { Effect } from "effect"

/** A set of suspended fibers, woken together. */
export interface Waiters {
  /** Suspends until the next `wakeAll`; interrupting the wait unregisters it. */
  readonly wait: Effect.Effect<void>
  /** Wakes every fiber waiting now. */
  readonly wakeAll: () => void
  /** How many fibers are waiting. */
  readonly size: () => number
}

/** An empty set of waiters. */
export const make = (): Waiters => {
  const waiting = new Set<() => void>()
  return {
    wait: Effect.callback<void>((resume) => {
      const wake = () => resume(Effect.void)
      waiting.add(wake)
      return Effect.sync(() => {
        waiting.delete(wake)
      })
    }),
    wakeAll: () => {
      if (waiting.size === 0) return
      const woken = [...waiting]
      waiting.clear()
      for (const wake of woken) wake()
    },
    size: () => waiting.size
  }
}
