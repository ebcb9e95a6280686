/**
 * Catch-up subscriptions over the global log: read everything after a position in batches,
 * then follow new events as they are appended, emitting every event exactly once in global
 * order. `run` adds a durable checkpoint so a consumer resumes where it stopped.
 */
import { Effect, Option, Stream } from "effect"
import * as Checkpoint from "./Checkpoint.ts"
import * as CheckpointStore from "./CheckpointStore.ts"
import type { ReadError, StorageFailure } from "./Errors.ts"
import type { RecordedEvent } from "./Event.ts"
import { EventStore } from "./EventStore.ts"

/** Where to start and how much to read at a time. */
export interface Options {
  /** Emit events strictly after this position (default: the beginning). */
  readonly after?: Checkpoint.Checkpoint
  /** Events per read (default 1000). */
  readonly batchSize?: number
}

/** The next batch after `after`, waiting for new events when there are none yet. */
const nextBatch = (after: Checkpoint.Checkpoint, batchSize: number) =>
  EventStore.use((store) =>
    Effect.flatMap(store.readAll({ after, limit: batchSize }), (batch) =>
      batch.length > 0 ? Effect.succeed(batch) : Effect.as(store.waitForEvents(after), batch)
    )
  )

/** Every event after `options.after`, in batches as read: catches up, then follows. Never ends. */
export const batches = (
  options: Options = {}
): Stream.Stream<ReadonlyArray<RecordedEvent>, ReadError | StorageFailure, EventStore> =>
  Stream.paginate(options.after ?? Checkpoint.beginning, (after) =>
    Effect.map(nextBatch(after, options.batchSize ?? 1000), (batch) => {
      const last = batch[batch.length - 1]
      return [batch.length === 0 ? [] : [batch], Option.some(last?.globalPosition ?? after)] as const
    })
  )

/** Every event after `options.after`, one at a time: catches up, then follows. Never ends. */
export const events = (options: Options = {}): Stream.Stream<RecordedEvent, ReadError | StorageFailure, EventStore> =>
  Stream.flattenIterable(batches(options))

/** How a durable subscription behaves. */
export interface RunOptions {
  /** Events per batch handed to the handler (default 500). */
  readonly batchSize?: number
  /** The version of the consumer's logic; a different saved version restarts from the beginning. */
  readonly version?: number
}

/**
 * Feeds every event to `handle`, batch by batch, saving the position after each batch under
 * `name`. After a restart it resumes from the saved position, so a batch is redelivered only if
 * the process stopped between handling it and saving: handlers must be idempotent. Never ends.
 */
export const run = <E, R>(
  name: string,
  handle: (batch: ReadonlyArray<RecordedEvent>) => Effect.Effect<void, E, R>,
  options: RunOptions = {}
): Effect.Effect<never, E | ReadError | StorageFailure, R | EventStore | CheckpointStore.CheckpointStore> =>
  Effect.gen(function* () {
    const checkpoints = yield* CheckpointStore.CheckpointStore
    const version = options.version ?? 1
    const saved = yield* checkpoints.load(name)
    let after = Option.isSome(saved) && saved.value.version === version ? saved.value.position : Checkpoint.beginning
    const batchSize = options.batchSize ?? 500
    for (;;) {
      const batch = yield* nextBatch(after, batchSize)
      if (batch.length === 0) continue
      yield* handle(batch).pipe(
        Effect.withSpan("Subscription.batch", {
          attributes: { "vouch.subscription": name, "vouch.event_count": batch.length }
        })
      )
      after = (batch[batch.length - 1] as RecordedEvent).globalPosition
      yield* checkpoints.save(name, { position: after, version })
    }
  })
