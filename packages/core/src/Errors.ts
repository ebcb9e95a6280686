/**
 * The kernel's error vocabulary. Every store adapter translates its own failures into these
 * classes, so callers handle a version clash or a broken disk the same way whichever store
 * raised it.
 */
import { Schema } from "effect"
import * as ExpectedVersion from "./ExpectedVersion.ts"

/** The stream was not at the version the caller expected; nothing was appended. */
export class ConcurrencyConflict extends Schema.TaggedError<ConcurrencyConflict>()("ConcurrencyConflict", {
  streamId: Schema.String,
  expected: ExpectedVersion.ExpectedVersion,
  /** The stream's version when the append was refused; 0 when the stream does not exist. */
  actual: Schema.Number
}) {
  override get message(): string {
    return `Stream "${this.streamId}" expected ${ExpectedVersion.format(this.expected)} but is at version ${this.actual}`
  }
}

/** An event id was already stored somewhere other than where this append would put it. */
export class DuplicateEventId extends Schema.TaggedError<DuplicateEventId>()("DuplicateEventId", {
  streamId: Schema.String,
  eventId: Schema.String,
  existingStreamId: Schema.String,
  existingVersion: Schema.Number
}) {
  override get message(): string {
    return `Event ${this.eventId} appended to "${this.streamId}" is already stored as version ${this.existingVersion} of "${this.existingStreamId}" at a different position`
  }
}

/** An event did not match its schema, on the way in (encode) or on the way out (decode). */
export class EventSchemaViolation extends Schema.TaggedError<EventSchemaViolation>()("EventSchemaViolation", {
  streamId: Schema.String,
  /** The event's version in its stream; 0 when the event was refused before it was stored. */
  streamVersion: Schema.Number,
  eventType: Schema.String,
  /** The schema's own account of what is wrong. */
  detail: Schema.String
}) {
  override get message(): string {
    const where = this.streamVersion > 0 ? ` at version ${this.streamVersion}` : ""
    return `Event ${this.eventType} in "${this.streamId}"${where} does not match its schema: ${this.detail}`
  }
}

/** An event to append is malformed before any schema is involved: bad id, type or non-JSON data. */
export class InvalidEvent extends Schema.TaggedError<InvalidEvent>()("InvalidEvent", {
  streamId: Schema.String,
  eventType: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Event ${this.eventType} for "${this.streamId}" is invalid: ${this.reason}`
  }
}

/** A stream id was refused: empty, too long or holding control characters. */
export class InvalidStreamId extends Schema.TaggedError<InvalidStreamId>()("InvalidStreamId", {
  /** The refused id, escaped and truncated so it is safe to log. */
  streamId: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid stream id ${this.streamId}: ${this.reason}`
  }
}

/** A checkpoint could not be understood by the store it was given to. */
export class InvalidCheckpoint extends Schema.TaggedError<InvalidCheckpoint>()("InvalidCheckpoint", {
  checkpoint: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid checkpoint "${this.checkpoint}": ${this.reason}`
  }
}

/** A read was asked for with options that mean nothing (a negative limit, a fractional version). */
export class InvalidReadRequest extends Schema.TaggedError<InvalidReadRequest>()("InvalidReadRequest", {
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid read request: ${this.reason}`
  }
}

/** The storage backend failed. `retryable` says whether trying the same call again can help. */
export class StorageFailure extends Schema.TaggedError<StorageFailure>()("StorageFailure", {
  reason: Schema.String,
  retryable: Schema.Boolean,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    return `Storage failure (${this.retryable ? "retryable" : "not retryable"}): ${this.reason}`
  }
}

/** Errors an append can raise. */
export type AppendError = ConcurrencyConflict | DuplicateEventId | InvalidEvent | InvalidStreamId | StorageFailure

/** Errors a read can raise. */
export type ReadError = InvalidStreamId | InvalidCheckpoint | InvalidReadRequest | StorageFailure
