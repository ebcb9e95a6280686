/**
 * Command handling: load → decide → append, with optimistic concurrency. The handler folds the
 * stream, asks the decider, encodes the new events against the aggregate's catalog and appends
 * them expecting the version it loaded. When another writer got there first, it reloads and
 * decides again, with bounded, jittered backoff. Domain errors come back typed and append
 * nothing. A command id makes handling idempotent: the events of a command that was already
 * handled are found in the stream and returned instead of being appended twice.
 */
import { Clock, DateTime, Effect, Result, Schedule } from "effect"
import * as Aggregate from "./Aggregate.ts"
import type * as Checkpoint from "./Checkpoint.ts"
import * as Decider from "./Decider.ts"
import type { AppendError, ConcurrencyConflict, EventSchemaViolation, ReadError } from "./Errors.ts"
import type { EventMetadata, RecordedEvent } from "./Event.ts"
import * as EventStore from "./EventStore.ts"
import * as ExpectedVersion from "./ExpectedVersion.ts"
import { withHotSpan } from "./internal/hotSpan.ts"

/** Per-call options. */
export interface HandleOptions {
  /** Makes handling idempotent: a command id already recorded in the stream appends nothing. */
  readonly commandId?: string
  /** Metadata recorded with every event (correlation id, causation id, actor, free-form fields). */
  readonly metadata?: EventMetadata
  /** How many times to decide again after a concurrency conflict (default 5). */
  readonly maxRetries?: number
}

/** What handling a command produced. */
export interface Handled<S, E> {
  /** The aggregate's state after the command. */
  readonly state: S
  /** The events the command produced (for a repeated command id: the ones recorded the first time). */
  readonly events: ReadonlyArray<E>
  /** The stream's version after the command. */
  readonly version: number
  /** The global position of the last event the command produced, when it produced any. */
  readonly position: Checkpoint.Checkpoint | undefined
  /** True when the command id had been handled before and nothing was appended. */
  readonly duplicate: boolean
}

/** A command, or a function building one from the current time (read from Effect's `Clock`). */
export type CommandInput<C> = C | ((now: DateTime.Utc) => C)

/** Errors `handle` can fail with besides the decider's own. */
export type HandleError = AppendError | ReadError | EventSchemaViolation

// Starts at 2 ms and doubles, jittered so that writers who collided do not collide again in step.
const conflictBackoff = Schedule.exponential("2 millis", 2).pipe(Schedule.jittered)

const isConflict = (error: unknown): error is ConcurrencyConflict =>
  (error as { readonly _tag?: unknown })?._tag === "ConcurrencyConflict"

/** Handles one command against one entity's stream. */
export const handle = <C, S, E extends { readonly _tag: string }, Err>(
  aggregate: Aggregate.Aggregate<C, S, E, Err>,
  streamId: string,
  input: CommandInput<C>,
  options: HandleOptions = {}
): Effect.Effect<Handled<S, E>, Err | HandleError, EventStore.EventStore> => {
  const attempt = Effect.gen(function* () {
    const store = yield* EventStore.EventStore
    const recorded = yield* store.readStream(streamId)
    if (options.commandId !== undefined) {
      const earlier = recorded.filter((event) => event.metadata.commandId === options.commandId)
      if (earlier.length > 0) return yield* replay(aggregate, recorded, earlier)
    }
    const loaded = yield* Effect.fromResult(Aggregate.foldStream(aggregate, recorded))
    const command =
      typeof input === "function"
        ? (input as (now: DateTime.Utc) => C)(DateTime.makeUnsafe(yield* Clock.currentTimeMillis))
        : input
    const decided = aggregate.decider.decide(command, loaded.state)
    if (Result.isFailure(decided)) return yield* Effect.fail(decided.failure)
    const events = decided.success
    if (events.length === 0) {
      return { state: loaded.state, events, version: loaded.version, position: undefined, duplicate: false }
    }
    const metadata: EventMetadata =
      options.commandId === undefined ? (options.metadata ?? {}) : { ...options.metadata, commandId: options.commandId }
    const envelopes = yield* Effect.fromResult(aggregate.events.encodeAll(events, { streamId, metadata }))
    const appended = yield* store.append(streamId, ExpectedVersion.exact(loaded.version), envelopes)
    return {
      state: Decider.apply(aggregate.decider, loaded.state, events),
      events,
      version: appended.lastVersion,
      position: appended.position,
      duplicate: appended.duplicate
    }
  })
  const maxRetries = options.maxRetries ?? 5
  return attempt.pipe(
    Effect.retry({ schedule: conflictBackoff, times: maxRetries, while: isConflict }),
    withHotSpan("CommandHandler.handle", () => ({
      "vouch.stream_id": streamId,
      "vouch.aggregate": aggregate.category
    }))
  ) as Effect.Effect<Handled<S, E>, Err | HandleError, EventStore.EventStore>
}

/** The result of a command id seen before: the current state and the events it recorded then. */
const replay = <C, S, E extends { readonly _tag: string }, Err>(
  aggregate: Aggregate.Aggregate<C, S, E, Err>,
  recorded: ReadonlyArray<RecordedEvent>,
  earlier: ReadonlyArray<RecordedEvent>
) =>
  Effect.gen(function* () {
    const loaded = yield* Effect.fromResult(Aggregate.foldStream(aggregate, recorded))
    const events = yield* Effect.fromResult(Aggregate.decodeAll(aggregate.events, earlier))
    const last = earlier[earlier.length - 1] as RecordedEvent
    return { state: loaded.state, events, version: loaded.version, position: last.globalPosition, duplicate: true }
  })
