/**
 * Folding many events with an evolve written as a mutation. A state that only the fold can see
 * needs no proxy: the fold works on a private deep copy, lets `evolve` mutate it directly, and
 * freezes the result once at the end. Callers therefore pay close to a hand-written mutable
 * loop, yet only ever receive immutable states that share nothing mutable with their inputs.
 */
import { freeze } from "immer"
import { mutableCopy } from "./mutableCopy.ts"

/** An evolve: mutates the state it is given, or returns a replacement. */
export type Evolve<S, E> = (state: S, event: E) => S | void

/**
 * Folds `events` into `working`, a state private to the caller, mutating it in place; returns
 * the state to keep using (a replacement, if an evolve returned one).
 */
export const foldInto = <S, E>(evolve: Evolve<S, E>, working: S, events: Iterable<E>): S => {
  let state = working
  for (const event of events) state = foldOne(evolve, state, event)
  return state
}

/** Applies one event to a private working state; returns the state to keep using. */
export const foldOne = <S, E>(evolve: Evolve<S, E>, working: S, event: E): S => {
  const replacement = evolve(working, event)
  // A returned replacement may share (frozen) parts with earlier states: copy it to keep
  // mutating freely. Evolves that mutate, the common style, never pay this.
  return replacement === undefined ? working : mutableCopy(replacement)
}

/** Folds `events` onto a private copy of `from` and freezes the result. */
export const foldPrivately = <S, E>(evolve: Evolve<S, E>, from: S, events: Iterable<E>): S =>
  freeze(foldInto(evolve, mutableCopy(from), events), true)

/** A frozen copy of a private working state, to hand to callers while the fold goes on. */
export const frozenCopy = <S>(working: S): S => freeze(mutableCopy(working), true)
