/**
 * An aggregate ties a decider to its event catalog and names the category of its streams
 * (`complaint-<id>`). Loading one reads its stream, upcasts and decodes every event against the
 * catalog, and folds them into the current state.
 */
import { Effect, Result } from "effect"
import { freeze } from "immer"
import * as Checkpoint from "./Checkpoint.ts"
import type * as Decider from "./Decider.ts"
import type { EventSchemaViolation, InvalidStreamId, ReadError } from "./Errors.ts"
import type { RecordedEvent } from "./Event.ts"
import type { EventCatalog } from "./EventCatalog.ts"
import { EventStore } from "./EventStore.ts"
import { foldOne } from "./internal/fold.ts"
import { mutableCopy } from "./internal/mutableCopy.ts"
import * as StreamId from "./StreamId.ts"

/** One aggregate type: its stream category, its rules and its events. */
export interface Aggregate<C, S, E extends { readonly _tag: string }, Err> {
  /** Prefix of the aggregate's stream ids, e.g. `complaint`. */
  readonly category: string
  readonly decider: Decider.Decider<C, S, E, Err>
  readonly events: EventCatalog<E>
}

/** Builds an aggregate; a typed identity for inference. */
export const make = <C, S, E extends { readonly _tag: string }, Err>(
  aggregate: Aggregate<C, S, E, Err>
): Aggregate<C, S, E, Err> => aggregate

/** The stream id of one entity of this aggregate: `<category>-<entityId>`. */
export const streamId = (
  aggregate: { readonly category: string },
  entityId: string
): Result.Result<StreamId.StreamId, InvalidStreamId> => StreamId.forEntity(aggregate.category, entityId)

/** An aggregate's state as loaded from its stream. */
export interface Loaded<S> {
  readonly state: S
  /** The version of the stream's last event; 0 for a stream with no events. */
  readonly version: number
  /** The global position of the stream's last event (the beginning, for an empty stream). */
  readonly position: Checkpoint.Checkpoint
}

/** Decodes recorded events against a catalog, failing on the first that does not match. */
export const decodeAll = <E extends { readonly _tag: string }>(
  catalog: EventCatalog<E>,
  recorded: ReadonlyArray<RecordedEvent>
): Result.Result<Array<E>, EventSchemaViolation> => catalog.decodeAll(recorded)

/**
 * Folds an already-read stream into a `Loaded` state. Each event is decoded and folded in turn,
 * so a long stream never holds all its decoded events at once.
 */
export const foldStream = <C, S, E extends { readonly _tag: string }, Err>(
  aggregate: Aggregate<C, S, E, Err>,
  recorded: ReadonlyArray<RecordedEvent>
): Result.Result<Loaded<S>, EventSchemaViolation> => {
  const evolve = aggregate.decider.evolve as (s: S, e: E) => S | void
  let working = mutableCopy(aggregate.decider.initialState)
  const failure = aggregate.events.decodeEach(recorded, (event) => {
    working = foldOne(evolve, working, event)
  })
  if (failure !== undefined) return Result.fail(failure)
  const last = recorded[recorded.length - 1]
  return Result.succeed({
    state: freeze(working, true),
    version: last?.streamVersion ?? 0,
    position: last?.globalPosition ?? Checkpoint.beginning
  })
}

/** Reads and folds one entity's stream. (Traced by the store's `EventStore.readStream` span.) */
export const load = <C, S, E extends { readonly _tag: string }, Err>(
  aggregate: Aggregate<C, S, E, Err>,
  streamId: string
): Effect.Effect<Loaded<S>, ReadError | EventSchemaViolation, EventStore> =>
  EventStore.use((store) =>
    Effect.flatMap(store.readStream(streamId), (recorded) => Effect.fromResult(foldStream(aggregate, recorded)))
  )
