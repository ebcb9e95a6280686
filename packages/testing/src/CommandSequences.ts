/**
 * Property tests for deciders over random command sequences. Each run draws commands one at a
 * time from a generator that may look at the current state (so sequences stay meaningful),
 * decides them, applies the accepted events, and checks after every step:
 *
 * - `decide` never throws, whatever the command;
 * - folding the whole history from scratch (the fast, proxy-free fold) gives the same state as
 *   applying events step by step through immer;
 * - no state handed to `decide` or `evolve` is ever mutated (states are deep-frozen);
 * - every invariant the domain declares.
 */
import { Decider } from "@vouch/core"
import { Result } from "effect"
import fc from "fast-check"
import { expect } from "vitest"

/** One step of a run, as invariants see it. */
export interface Step<C, S, E, Err> {
  readonly command: C
  readonly before: S
  readonly result: Result.Result<ReadonlyArray<E>, Err>
  readonly after: S
  /** Every event accepted so far, this step's included. */
  readonly history: ReadonlyArray<E>
}

/** What to generate and what must always hold. */
export interface Options<C, S, E, Err> {
  /** Commands to try next, given the current state. */
  readonly commands: (state: S, history: ReadonlyArray<E>) => fc.Arbitrary<C>
  /** Each returns nothing when it holds, or throws (e.g. with `expect`). */
  readonly invariants?: ReadonlyArray<(step: Step<C, S, E, Err>) => void>
  /** Commands per run (default 40). */
  readonly maxCommands?: number
  /** Runs (default 200). */
  readonly numRuns?: number
  /** Fixes the random seed, to replay a failure. */
  readonly seed?: number
  /** Shrink a failing sequence to a minimal one (default true; shrinking long sequences takes time). */
  readonly shrink?: boolean
}

/** Runs the property; throws fast-check's report (with the shrunk sequence) on a violation. */
export const check = <C, S, E, Err>(decider: Decider.Decider<C, S, E, Err>, options: Options<C, S, E, Err>): void => {
  const maxCommands = options.maxCommands ?? 40
  fc.assert(
    fc.property(fc.gen(), fc.integer({ min: 1, max: maxCommands }), (generate, length) => {
      let state = Decider.fold(decider, [])
      const history: Array<E> = []
      for (let i = 0; i < length; i++) {
        const command = generate(() => options.commands(state, history))
        const before = state
        const snapshot = JSON.stringify(before)
        const result = decider.decide(command, before)
        if (Result.isSuccess(result)) {
          history.push(...result.success)
          state = Decider.apply(decider, before, result.success)
          expect(Decider.fold(decider, history)).toEqual(state)
        }
        expect(JSON.stringify(before)).toBe(snapshot)
        expect(Object.isFrozen(state)).toBe(true)
        const step = { command, before, result, after: state, history }
        for (const invariant of options.invariants ?? []) invariant(step)
      }
    }),
    {
      numRuns: options.numRuns ?? 200,
      endOnFailure: options.shrink === false,
      ...(options.seed === undefined ? {} : { seed: options.seed })
    }
  )
}
