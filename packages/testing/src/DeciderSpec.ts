/**
 * Given/when/then for deciders: given the events already in a stream, when a command arrives,
 * then exactly these events are decided, or this typed error. Each step also checks the
 * decider's own hygiene: the state it decides on is frozen (so a `decide` that mutates fails
 * loudly), and the decided events evolve without throwing.
 */
import { Decider } from "@vouch/core"
import { Result } from "effect"
import { expect } from "vitest"

/** The outcome of one `when`, with assertions on it. */
export interface Outcome<S, E, Err> {
  /** The raw decision. */
  readonly result: Result.Result<ReadonlyArray<E>, Err>
  /** The state the command was decided on. */
  readonly before: S
  /**
   * Asserts the decided events, and returns the state after them. (Not named `then`, which would
   * make every outcome a thenable that `await` calls by accident.)
   */
  readonly thenEvents: (expected: ReadonlyArray<E>) => S
  /** Asserts a refusal: the error's fields must match `expected` (a partial object), or `expected` runs on it. */
  readonly thenFails: (expected: Partial<Err> | ((error: Err) => void)) => Err
}

/** The given/when/then entry point for one decider. */
export const make = <C, S, E, Err>(decider: Decider.Decider<C, S, E, Err>) => ({
  /** Starts from the state these events fold into. */
  given: (events: ReadonlyArray<E> = []) => ({
    /** Decides `command` on that state. */
    when: (command: C): Outcome<S, E, Err> => {
      const before = Decider.fold(decider, events)
      const result = decider.decide(command, before)
      return {
        result,
        before,
        thenEvents: (expected) => {
          if (Result.isFailure(result)) {
            throw new Error(`expected events, but the command was refused: ${JSON.stringify(result.failure)}`)
          }
          expect(result.success).toEqual(expected)
          return Decider.apply(decider, before, result.success)
        },
        thenFails: (expected) => {
          if (Result.isSuccess(result)) {
            throw new Error(`expected a refusal, but the command decided ${JSON.stringify(result.success)}`)
          }
          if (typeof expected === "function") expected(result.failure)
          else expect(result.failure).toMatchObject(expected as object)
          return result.failure
        }
      }
    }
  })
})
