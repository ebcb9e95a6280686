/**
 * The event envelope: what a store keeps for each event, and what callers hand a store to
 * append. Stores are monomorphic over these encoded envelopes; the typing of each event lives
 * in its aggregate's schemas (see `EventCatalog`).
 */
import { Result } from "effect"
import type { Checkpoint } from "./Checkpoint.ts"
import { InvalidEvent, type InvalidStreamId } from "./Errors.ts"
import * as EventId from "./EventId.ts"
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

const emptyMetadata: EventMetadata = Object.freeze({})

/** Whether a plain object has no own enumerable keys (without allocating a key array). */
const isEmpty = (value: object): boolean => {
  if (Object.getPrototypeOf(value) !== Object.prototype) return false
  for (const key in value) if (Object.hasOwn(value, key)) return false
  return true
}

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
  const ids = events.length > 1 ? new Set<string>() : undefined
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as NewEvent
    const refuse = (reason: string) =>
      Result.fail(new InvalidEvent({ streamId: stream, eventType: String(event?.eventType).slice(0, 100), reason }))
    if (typeof event !== "object" || event === null) return refuse(`event ${i} is not an object`)
    if (!EventId.isValid(event.eventId)) return refuse(`event id ${JSON.stringify(event.eventId)} is not a uuid`)
    if (ids !== undefined) {
      if (ids.has(event.eventId)) return refuse(`event id ${event.eventId} appears twice in one append`)
      ids.add(event.eventId)
    }
    if (!isValidType(event.eventType)) {
      return refuse(`event type must be 1 to ${maxEventTypeLength} printable characters`)
    }
    if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1) {
      return refuse(`schema version must be a positive integer, got ${event.schemaVersion}`)
    }
    const data = Json.snapshot(event.data)
    if (Result.isFailure(data)) return refuse(data.failure)
    let metadata = emptyMetadata
    if (event.metadata != null && !isEmpty(event.metadata)) {
      const copied = Json.snapshot(event.metadata)
      if (Result.isFailure(copied)) return refuse(`metadata: ${copied.failure}`)
      const value = copied.success
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return refuse("metadata must be an object")
      for (const field of ["correlationId", "causationId", "actor", "commandId"] as const) {
        const fieldValue = (value as EventMetadata)[field]
        if (fieldValue !== undefined && typeof fieldValue !== "string")
          return refuse(`metadata.${field} must be a string`)
      }
      metadata = value as EventMetadata
    }
    prepared[i] = Object.freeze({
      eventId: event.eventId,
      eventType: event.eventType,
      schemaVersion: event.schemaVersion,
      data: data.success,
      metadata
    })
  }
  return Result.succeed({ streamId: stream, events: prepared })
}
