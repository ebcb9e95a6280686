/**
 * Envelopes that core itself built and checked. An event catalog that encodes an event through
 * the schema shortcut already holds everything `prepareAppend` would establish: a valid id, a
 * valid type name, deeply frozen JSON data and metadata. Marking such envelopes lets the append
 * path take them as they are instead of validating and copying them a second time.
 *
 * The mark is a private class field, so it cannot be forged: an object that merely looks like a
 * checked envelope, or was made from its prototype, is validated like any other.
 */
import type { EventMetadata, NewEvent } from "../Event.ts"
import type { Json } from "../Json.ts"

class CheckedEvent implements NewEvent {
  readonly #checked = true
  readonly eventId: string
  readonly eventType: string
  readonly schemaVersion: number
  readonly data: Json
  readonly metadata: EventMetadata

  constructor(eventId: string, eventType: string, schemaVersion: number, data: Json, metadata: EventMetadata) {
    this.eventId = eventId
    this.eventType = eventType
    this.schemaVersion = schemaVersion
    this.data = data
    this.metadata = metadata
    Object.freeze(this)
  }

  static is(value: unknown): boolean {
    return typeof value === "object" && value !== null && #checked in value
  }
}

/**
 * A frozen envelope marked as checked. The caller vouches that the id is a uuid, the type name
 * valid, the schema version a positive integer, and `data` and `metadata` deeply frozen JSON.
 */
export const make = (
  eventId: string,
  eventType: string,
  schemaVersion: number,
  data: Json,
  metadata: EventMetadata
): NewEvent => new CheckedEvent(eventId, eventType, schemaVersion, data, metadata)

/** Whether `event` was built by `make`. */
export const isChecked = (event: unknown): boolean => CheckedEvent.is(event)
