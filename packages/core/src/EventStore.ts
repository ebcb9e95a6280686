/**
 * The `EventStore` service: the small set of primitives every storage adapter provides, and the
 * one place where their inputs are validated and their calls traced. Adapters implement
 * `EventStore.Adapter` and turn it into the service with `EventStore.make`; everything else an
 * application needs (loading aggregates, subscriptions, projections) is derived in core from
 * these primitives, once.
 */
import { Context, Effect, Result } from "effect"
import * as Checkpoint from "./Checkpoint.ts"
import type { ConcurrencyConflict, DuplicateEventId, ReadError, StorageFailure } from "./Errors.ts"
import { type AppendError, type InvalidCheckpoint, InvalidReadRequest } from "./Errors.ts"
import * as Event from "./Event.ts"
import type { ExpectedVersion } from "./ExpectedVersion.ts"
import { withHotSpan } from "./internal/hotSpan.ts"
import * as StreamId from "./StreamId.ts"

/** What a successful append reports. */
export interface AppendResult {
  readonly streamId: StreamId.StreamId
  /** Version of the first appended event (the next version, when nothing was appended). */
  readonly firstVersion: number
  /** Version of the last appended event: the stream's version after the append. */
  readonly lastVersion: number
  /** Global position of the last appended event (the store's head, when nothing was appended). */
  readonly position: Checkpoint.Checkpoint
  /** True when every event had already been appended by an earlier identical call. */
  readonly duplicate: boolean
}

/** How to read one stream. */
export interface ReadStreamOptions {
  /** Forwards (oldest first, the default) or backwards (newest first). */
  readonly direction?: "forwards" | "backwards"
  /** The first version to return, inclusive. Defaults to the stream's start, or its end backwards. */
  readonly from?: number
  /** The most events to return. Defaults to all. */
  readonly limit?: number
}

/** How to read the global log. */
export interface ReadAllOptions {
  /** Return events strictly after this position. Defaults to the beginning. */
  readonly after?: Checkpoint.Checkpoint
  /** The most events to return in one batch. Defaults to `defaultBatchSize`. */
  readonly limit?: number
}

/** The batch size of a global read when the caller names none. */
export const defaultBatchSize = 1000

/** A stream read request after validation, as adapters receive it. */
export interface StreamRead {
  readonly direction: "forwards" | "backwards"
  /** Inclusive start; for a backwards read with no start, `Number.MAX_SAFE_INTEGER`. */
  readonly from: number
  readonly limit: number
}

/**
 * What a storage adapter implements. Inputs arrive validated: stream ids are checked, events are
 * frozen JSON copies, limits are positive integers.
 */
export interface Adapter {
  /**
   * Appends atomically: either every event is stored, contiguous, right after the version the
   * expectation was checked against, or none is. Re-appending ids already stored at the same
   * place is not an error: it returns the original result with `duplicate: true`.
   */
  readonly append: (
    request: Event.PreparedAppend,
    expected: ExpectedVersion
  ) => Effect.Effect<AppendResult, ConcurrencyConflict | DuplicateEventId | StorageFailure>
  readonly readStream: (
    streamId: StreamId.StreamId,
    read: StreamRead
  ) => Effect.Effect<ReadonlyArray<Event.RecordedEvent>, StorageFailure>
  /**
   * Events strictly after `after`, in global order, at most `limit` of them. Must never return
   * an event and later return another that sorts before it: a reader that saves the position of
   * the last event it saw must not miss anything.
   */
  readonly readAll: (
    after: Checkpoint.Checkpoint,
    limit: number
  ) => Effect.Effect<ReadonlyArray<Event.RecordedEvent>, InvalidCheckpoint | StorageFailure>
  /** The version of a stream's last event; 0 when the stream does not exist. */
  readonly streamVersion: (streamId: StreamId.StreamId) => Effect.Effect<number, StorageFailure>
  /**
   * Completes once events after `after` may exist: at once if they already do, otherwise when
   * something is appended (or, for stores that cannot be notified, after a poll interval).
   */
  readonly waitForEvents: (after: Checkpoint.Checkpoint) => Effect.Effect<void, InvalidCheckpoint | StorageFailure>
}

/** The service applications use; built from an adapter by `make`. */
export interface Service {
  readonly append: (
    streamId: string,
    expected: ExpectedVersion,
    events: ReadonlyArray<Event.NewEvent>
  ) => Effect.Effect<AppendResult, AppendError>
  readonly readStream: (
    streamId: string,
    options?: ReadStreamOptions
  ) => Effect.Effect<ReadonlyArray<Event.RecordedEvent>, ReadError>
  readonly readAll: (options?: ReadAllOptions) => Effect.Effect<ReadonlyArray<Event.RecordedEvent>, ReadError>
  readonly streamVersion: (streamId: string) => Effect.Effect<number, ReadError>
  readonly waitForEvents: (after: Checkpoint.Checkpoint) => Effect.Effect<void, InvalidCheckpoint | StorageFailure>
}

/** The event store service tag. */
export class EventStore extends Context.Service<EventStore, Service>()("@vouch/core/EventStore") {}

const count = (value: number | undefined, fallback: number, name: string): Result.Result<number, string> => {
  if (value === undefined) return Result.succeed(fallback)
  if (value === Number.POSITIVE_INFINITY && name === "limit") return Result.succeed(value)
  return Number.isSafeInteger(value) && value >= 0
    ? Result.succeed(value)
    : Result.fail(`${name} must be a non-negative integer, got ${value}`)
}

const badRead = (reason: string) => Effect.fail(new InvalidReadRequest({ reason }))

/**
 * Turns an adapter into the service: validation, tracing spans and defaults, in one place.
 * Spans are made only when a tracer is installed (see `withHotSpan`).
 */
export const make = (adapter: Adapter): Service => ({
  append: (streamId, expected, events) => {
    const prepared = Event.prepareAppend(streamId, events)
    if (Result.isFailure(prepared)) return Effect.fail(prepared.failure)
    return adapter.append(prepared.success, expected).pipe(
      withHotSpan("EventStore.append", () => ({
        "vouch.stream_id": prepared.success.streamId,
        "vouch.event_count": events.length
      }))
    )
  },
  readStream: (streamId, options = {}) => {
    const id = StreamId.parse(streamId)
    if (Result.isFailure(id)) return Effect.fail(id.failure)
    const direction = options.direction ?? "forwards"
    const from = count(options.from, direction === "forwards" ? 1 : Number.MAX_SAFE_INTEGER, "from")
    const limit = count(options.limit, Number.POSITIVE_INFINITY, "limit")
    if (Result.isFailure(from)) return badRead(from.failure)
    if (Result.isFailure(limit)) return badRead(limit.failure)
    return adapter
      .readStream(id.success, { direction, from: from.success, limit: limit.success })
      .pipe(withHotSpan("EventStore.readStream", () => ({ "vouch.stream_id": id.success, direction })))
  },
  readAll: (options = {}) => {
    const limit = count(options.limit, defaultBatchSize, "limit")
    if (Result.isFailure(limit)) return badRead(limit.failure)
    if (limit.success === 0 || limit.success === Number.POSITIVE_INFINITY) {
      return badRead("a global read needs a positive, finite limit")
    }
    return adapter
      .readAll(options.after ?? Checkpoint.beginning, limit.success)
      .pipe(withHotSpan("EventStore.readAll", () => ({ "vouch.limit": limit.success })))
  },
  streamVersion: (streamId) => {
    const id = StreamId.parse(streamId)
    return Result.isFailure(id) ? Effect.fail(id.failure) : adapter.streamVersion(id.success)
  },
  waitForEvents: adapter.waitForEvents
})

/** Whether a stream holds at least one event. */
export const exists = (streamId: string): Effect.Effect<boolean, ReadError, EventStore> =>
  EventStore.use((store) => store.streamVersion(streamId)).pipe(Effect.map((version) => version > 0))

/** Reads a whole stream, oldest first. */
export const readWholeStream = (
  streamId: string
): Effect.Effect<ReadonlyArray<Event.RecordedEvent>, ReadError, EventStore> =>
  EventStore.use((store) => store.readStream(streamId))
