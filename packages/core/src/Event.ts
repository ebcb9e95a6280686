/**
 * The event envelope: what a store keeps for each event, and what callers hand a store to
 * append. Stores are monomorphic over these encoded envelopes; the typing of each event lives
 * in its aggregate's schemas (see `EventCatalog`).
 */
import { Result } from "effect"
import type { Checkpoint } from "./Checkpoint.ts"
import { InvalidEvent, type InvalidStreamId } from "./Errors.ts"
import * as EventId from "./EventId.ts"
import * as CheckedEvent from "./internal/checkedEvent.ts"
import * as Metadata from "./internal/metadata.ts"
import * as Json from "./Json.ts"
import * as StreamId from "./StreamId.ts"

/** Who and what caused an event, plus any free-form fields an application adds. */
export interface EventMetadata {
  readonly correlationId?: string
  readonly causationId?: string
  readonly actor?: string
  readonly commandId?: string
  readonly [field: string]: Json.Json | undefined
}

/** An event on its way into a store. */
export interface NewEvent {
  readonly eventId: string
  /** A stable name that includes the aggregate, e.g. `complaints/ComplaintReceived`. */
  readonly eventType: string
  /** The version of the event type's schema that `data` was encoded with. */
  readonly schemaVersion: number
  readonly data: Json.Json
  readonly metadata: EventMetadata
}

/** An event as a store recorded it. */
export interface RecordedEvent extends NewEvent {
  readonly streamId: StreamId.StreamId
  /** The event's place in its stream, counting from 1. */
  readonly streamVersion: number
  /** The event's place in the store's global log. */
  readonly globalPosition: Checkpoint
  /** When the store recorded the event, in milliseconds since the epoch (UTC). */
  readonly recordedAt: number
}

/** A validated append request: a checked stream id and frozen copies of the events. */
export interface PreparedAppend {
  readonly streamId: StreamId.StreamId
  readonly events: ReadonlyArray<NewEvent>
}

/** The longest event type name accepted. */
export const maxEventTypeLength = 256

const printable = /^[^\u0000-\u001f\u007f-\u009f]+$/

// An application uses a few dozen event types; remembering the ones already checked saves a
// regular expression per appended event.
const checkedTypes = new Set<string>()
const isValidType = (eventType: unknown): boolean => {
  if (typeof eventType !== "string") return false
  if (checkedTypes.has(eventType)) return true
  const valid = eventType.length > 0 && eventType.length <= maxEventTypeLength && printable.test(eventType)
  if (valid && checkedTypes.size < 10_000) checkedTypes.add(eventType)
  return valid
}

const idOf = (event: unknown): unknown =>
  typeof event === "object" && event !== null ? (event as NewEvent).eventId : undefined

/**
 * The index of the first event whose id an earlier event of the same append has too. Appends
 * are small, so comparing pairwise costs less than building a set for each; large ones use one.
 */
const firstRepeatedId = (events: ReadonlyArray<NewEvent>): number => {
  if (events.length <= 16) {
    for (let i = 1; i < events.length; i++) {
      const id = idOf(events[i])
      for (let j = 0; j < i; j++) if (id !== undefined && idOf(events[j]) === id) return i
    }
    return -1
  }
  const seen = new Set<unknown>()
  for (let i = 0; i < events.length; i++) {
    const id = idOf(events[i])
    if (id !== undefined && seen.has(id)) return i
    seen.add(id)
  }
  return -1
}

const refuse = (streamId: StreamId.StreamId, event: NewEvent | undefined, reason: string) =>
  Result.fail(new InvalidEvent({ streamId, eventType: String(event?.eventType).slice(0, 100), reason }))

/**
 * Checks an append request before any store touches it and returns frozen copies of its events.
 * Every adapter calls this first, so every store refuses the same bad input the same way.
 */
export const prepareAppend = (
  streamId: string,
  events: ReadonlyArray<NewEvent>
): Result.Result<PreparedAppend, InvalidStreamId | InvalidEvent> => {
  const id = StreamId.parse(streamId)
  if (Result.isFailure(id)) return Result.fail(id.failure)
  const stream = id.success
  const prepared: Array<NewEvent> = new Array(events.length)
  const repeated = firstRepeatedId(events)
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as NewEvent
    if (i === repeated) return refuse(stream, event, `event id ${String(event.eventId)} appears twice in one append`)
    // An envelope a catalog built and checked is frozen JSON with a valid id and type already.
    if (CheckedEvent.isChecked(event)) {
      prepared[i] = event
      continue
    }
    if (typeof event !== "object" || event === null) return refuse(stream, event, `event ${i} is not an object`)
    if (!EventId.isValid(event.eventId))
      return refuse(stream, event, `event id ${JSON.stringify(event.eventId)} is not a uuid`)
    if (!isValidType(event.eventType)) {
      return refuse(stream, event, `event type must be 1 to ${maxEventTypeLength} printable characters`)
    }
    if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1) {
      return refuse(stream, event, `schema version must be a positive integer, got ${event.schemaVersion}`)
    }
    const data = Json.snapshot(event.data)
    if (Result.isFailure(data)) return refuse(stream, event, data.failure)
    const metadata = Metadata.prepare(event.metadata)
    if (Result.isFailure(metadata)) return refuse(stream, event, metadata.failure)
    prepared[i] = Object.freeze({
      eventId: event.eventId,
      eventType: event.eventType,
      schemaVersion: event.schemaVersion,
      data: data.success,
      metadata: metadata.success
    })
  }
  return Result.succeed({ streamId: stream, events: prepared })
}
