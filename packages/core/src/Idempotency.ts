/**
 * The rule for re-appending events that were already stored, shared by adapters that keep an
 * index of event ids. An append whose event ids are all stored already, contiguously, in the
 * same stream, at the place the expectation pins down, is a retry of a call that succeeded: it
 * returns the original result and stores nothing. Any other reuse of an id is an error.
 */
import { Result } from "effect"
import { DuplicateEventId } from "./Errors.ts"
import type { PreparedAppend } from "./Event.ts"
import * as ExpectedVersion from "./ExpectedVersion.ts"

/** Where an event id is stored. */
export interface Location {
  readonly streamId: string
  readonly streamVersion: number
}

/** The outcome: a fresh append, or the versions of the identical earlier append. */
export type Verdict =
  | { readonly _tag: "Fresh" }
  | { readonly _tag: "Duplicate"; readonly firstVersion: number; readonly lastVersion: number }

const fresh: Verdict = { _tag: "Fresh" }

/** Decides whether `request` is fresh, a retry, or a conflicting reuse of ids. */
export const check = (
  request: PreparedAppend,
  expected: ExpectedVersion.ExpectedVersion,
  locate: (eventId: string) => Location | undefined
): Result.Result<Verdict, DuplicateEventId> => {
  const events = request.events
  if (events.length === 0) return Result.succeed(fresh)
  const conflict = (eventId: string, at: Location) =>
    Result.fail(
      new DuplicateEventId({
        streamId: request.streamId,
        eventId,
        existingStreamId: at.streamId,
        existingVersion: at.streamVersion
      })
    )
  const first = locate((events[0] as (typeof events)[0]).eventId)
  if (first === undefined) {
    for (let i = 1; i < events.length; i++) {
      const eventId = (events[i] as (typeof events)[0]).eventId
      const at = locate(eventId)
      if (at !== undefined) return conflict(eventId, at)
    }
    return Result.succeed(fresh)
  }
  const pinned = ExpectedVersion.pinnedVersion(expected)
  const placedAsExpected =
    first.streamId === request.streamId && (pinned === undefined || first.streamVersion === pinned + 1)
  if (!placedAsExpected) return conflict((events[0] as (typeof events)[0]).eventId, first)
  for (let i = 1; i < events.length; i++) {
    const eventId = (events[i] as (typeof events)[0]).eventId
    const at = locate(eventId)
    if (at === undefined || at.streamId !== request.streamId || at.streamVersion !== first.streamVersion + i) {
      return conflict(eventId, at ?? first)
    }
  }
  return Result.succeed({
    _tag: "Duplicate",
    firstVersion: first.streamVersion,
    lastVersion: first.streamVersion + events.length - 1
  })
}
