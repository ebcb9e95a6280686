/**
 * A decider is an aggregate's rules as three pure values: the state before any event, how an
 * event changes the state (`evolve`, written as a mutation of a draft), and which events a
 * command produces in a given state (`decide`, returning a typed domain error instead of
 * throwing). Deciders never read a clock or make an id: commands carry `at` and any new ids.
 */
import type { Result } from "effect"
import { type Draft, produce } from "immer"
import { foldPrivately } from "./internal/fold.ts"

/** The rules of one aggregate. */
export interface Decider<C, S, E, Err> {
  readonly initialState: S
  /** Applies one event by mutating `state` (an immer draft or a private copy), or returns a replacement. */
  readonly evolve: (state: Draft<S>, event: E) => Draft<S> | S | void
  /** The events `command` produces in `state`, or why it is refused. */
  readonly decide: (command: C, state: S) => Result.Result<ReadonlyArray<E>, Err>
}

/** Builds a decider; a typed identity that lets TypeScript infer the four parameters. */
export const make = <C, S, E, Err>(decider: Decider<C, S, E, Err>): Decider<C, S, E, Err> => decider

/**
 * Folds events from the initial state (or `from`): the fast path for rehydration, with no
 * proxy per property access. The result is deeply frozen and shares nothing mutable with `from`.
 */
export const fold = <C, S, E, Err>(
  decider: Decider<C, S, E, Err>,
  events: Iterable<E>,
  from: S = decider.initialState
): S => foldPrivately(decider.evolve as (state: S, event: E) => S | void, from, events)

/**
 * Applies a few events (those a command just produced) to an existing immutable state, one immer
 * draft per event: unchanged parts stay shared with `state`, so this costs what the events touch,
 * not the size of the state. For many events, `fold` is the fast path.
 */
export const apply = <C, S, E, Err>(decider: Decider<C, S, E, Err>, state: S, events: ReadonlyArray<E>): S => {
  let current = state
  for (const event of events) {
    current = produce(current, (draft: Draft<S>) => decider.evolve(draft, event) as Draft<S> | undefined) as S
  }
  return current
}
