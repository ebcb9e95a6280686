/**
 * The in-memory reference adapter. Every operation runs as one synchronous step on the
 * JavaScript thread, so an append's version check and its write can never interleave with
 * another fiber's: atomicity comes from the runtime, with no locks to get wrong. Stored events
 * are frozen JSON copies, so nothing a caller does afterwards can change them.
 */
import {
  Checkpoint,
  CheckpointStore,
  ConcurrencyConflict,
  type DuplicateEventId,
  type Event,
  EventStore,
  ExpectedVersion,
  Idempotency,
  StorageFailure,
  Waiters
} from "@vouch/core"
import { Clock, Context, Effect, Layer, Option, Result } from "effect"
import * as EventIdIndex from "./internal/EventIdIndex.ts"

/** The two services this adapter provides. */
export interface MemoryStores {
  readonly eventStore: EventStore.Service
  readonly checkpointStore: CheckpointStore.Service
}

/** Builds a fresh, empty store. */
export const make: Effect.Effect<MemoryStores> = Effect.sync(() => {
  const log: Array<Event.RecordedEvent> = []
  const streams = new Map<string, Array<Event.RecordedEvent>>()
  const byId = EventIdIndex.make((position) => (log[position] as Event.RecordedEvent).eventId)
  const checkpoints = new Map<string, CheckpointStore.SavedCheckpoint>()
  const appended = Waiters.make()

  const locate = (eventId: string): Idempotency.Location | undefined => {
    const position = byId.find(eventId)
    return position < 0 ? undefined : log[position]
  }
  const headPosition = () => (log.length === 0 ? Checkpoint.beginning : Checkpoint.fromNumber(log.length))

  const appendNow = (
    request: Event.PreparedAppend,
    expected: ExpectedVersion.ExpectedVersion,
    now: number
  ): Effect.Effect<EventStore.AppendResult, ConcurrencyConflict | DuplicateEventId> => {
    const stream = streams.get(request.streamId)
    const current = stream === undefined ? 0 : stream.length
    const verdict = Idempotency.check(request, expected, locate)
    if (Result.isFailure(verdict)) return Effect.fail(verdict.failure)
    if (verdict.success._tag === "Duplicate") {
      const last = (stream as Array<Event.RecordedEvent>)[verdict.success.lastVersion - 1] as Event.RecordedEvent
      return Effect.succeed({
        streamId: request.streamId,
        firstVersion: verdict.success.firstVersion,
        lastVersion: verdict.success.lastVersion,
        position: last.globalPosition,
        duplicate: true
      })
    }
    if (!ExpectedVersion.isSatisfiedBy(expected, current)) {
      return Effect.fail(new ConcurrencyConflict({ streamId: request.streamId, expected, actual: current }))
    }
    const events = request.events
    if (events.length === 0) {
      return Effect.succeed({
        streamId: request.streamId,
        firstVersion: current + 1,
        lastVersion: current,
        position: headPosition(),
        duplicate: false
      })
    }
    const target = stream ?? []
    if (stream === undefined) streams.set(request.streamId, target)
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as Event.NewEvent
      const recorded: Event.RecordedEvent = Object.freeze({
        eventId: event.eventId,
        eventType: event.eventType,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata: event.metadata,
        streamId: request.streamId,
        streamVersion: current + i + 1,
        globalPosition: Checkpoint.fromNumber(log.length + 1),
        recordedAt: now
      })
      byId.add(event.eventId, log.length)
      log.push(recorded)
      target.push(recorded)
    }
    appended.wakeAll()
    return Effect.succeed({
      streamId: request.streamId,
      firstVersion: current + 1,
      lastVersion: current + events.length,
      position: headPosition(),
      duplicate: false
    })
  }

  const positionOf = (after: Checkpoint.Checkpoint) => {
    const parsed = Checkpoint.toNumber(after)
    return Result.isFailure(parsed) ? Effect.fail(parsed.failure) : Effect.succeed(parsed.success)
  }

  const adapter: EventStore.Adapter = {
    append: (request, expected) => Effect.flatMap(Clock.currentTimeMillis, (now) => appendNow(request, expected, now)),
    readStream: (streamId, read) =>
      Effect.sync(() => {
        const stream = streams.get(streamId)
        if (stream === undefined || read.limit === 0) return []
        if (read.direction === "forwards") {
          const start = Math.max(read.from, 1) - 1
          const end = read.limit === Number.POSITIVE_INFINITY ? stream.length : start + read.limit
          return stream.slice(start, end)
        }
        const start = Math.min(read.from, stream.length)
        const end = read.limit === Number.POSITIVE_INFINITY ? 0 : Math.max(start - read.limit, 0)
        return stream.slice(end, start).reverse()
      }),
    readAll: (after, limit) => Effect.map(positionOf(after), (position) => log.slice(position, position + limit)),
    streamVersion: (streamId) => Effect.sync(() => streams.get(streamId)?.length ?? 0),
    waitForEvents: (after) =>
      Effect.flatMap(positionOf(after), (position) => (log.length > position ? Effect.void : appended.wait))
  }

  const checkpointStore: CheckpointStore.Service = {
    load: (name) => Effect.sync(() => Option.fromNullishOr(checkpoints.get(name))),
    save: (name, checkpoint) =>
      Effect.suspend(() => {
        const prepared = CheckpointStore.prepareSave(name, checkpoint)
        if (Result.isFailure(prepared)) {
          return Effect.fail(new StorageFailure({ reason: prepared.failure.message, retryable: false }))
        }
        checkpoints.set(name, prepared.success)
        return Effect.void
      })
  }

  return { eventStore: EventStore.make(adapter), checkpointStore }
})

/** A layer providing a fresh in-memory `EventStore` and `CheckpointStore`. */
export const layer: Layer.Layer<EventStore.EventStore | CheckpointStore.CheckpointStore> = Layer.effectContext(
  Effect.map(make, ({ eventStore, checkpointStore }) =>
    Context.make(EventStore.EventStore, eventStore).pipe(Context.add(CheckpointStore.CheckpointStore, checkpointStore))
  )
)
