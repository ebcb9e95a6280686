/**
 * Projections: read models folded from the global log. A projection is a name, a version, an
 * initial value and an evolve over events. Run it live (fold the whole log now) or start a
 * catch-up runner that follows the log and saves its state together with its position, so that
 * after a restart it resumes without missing or repeating an event. A runner whose saved
 * version differs from the projection's rebuilds from the beginning.
 */
import { Effect, Option, Result, Schema, type Scope } from "effect"
import type { Draft } from "immer"
import * as Checkpoint from "./Checkpoint.ts"
import * as CheckpointStore from "./CheckpointStore.ts"
import type { EventSchemaViolation, ReadError, StorageFailure } from "./Errors.ts"
import type { RecordedEvent } from "./Event.ts"
import type { EventCatalog } from "./EventCatalog.ts"
import { EventStore } from "./EventStore.ts"
import { foldInto, frozenCopy } from "./internal/fold.ts"
import { mutableCopy } from "./internal/mutableCopy.ts"
import type * as Json from "./Json.ts"

/** A read model over the global log. */
export interface Projection<S, E = RecordedEvent> {
  readonly name: string
  /** Bump when `evolve` changes meaning: runners then rebuild from the beginning. */
  readonly version: number
  readonly initial: S
  /** Encodes the state to save it with the checkpoint, and decodes it on resume. */
  readonly state: Schema.Codec<S, unknown>
  /** Picks the events this projection reads: a decoded event, `undefined` to skip, or a schema failure. */
  readonly select: (recorded: RecordedEvent) => Result.Result<E | undefined, EventSchemaViolation>
  /** Folds one event in, by mutating the draft or returning a replacement. */
  readonly evolve: (state: Draft<S>, event: E, recorded: RecordedEvent) => Draft<S> | S | void
}

/** A projection over raw envelopes. */
export const make = <S>(projection: Omit<Projection<S, RecordedEvent>, "select">): Projection<S, RecordedEvent> => ({
  ...projection,
  select: Result.succeed
})

/** A projection over the typed events of one or more aggregates; other events are skipped. */
// biome-ignore lint/suspicious/noExplicitAny: a catalog both takes and returns its events, so only `any` admits catalogs of different event types.
export const fromCatalogs = <S, const Catalogs extends ReadonlyArray<EventCatalog<any>>>(
  catalogs: Catalogs,
  projection: Omit<Projection<S, EventOf<Catalogs[number]>>, "select">
): Projection<S, EventOf<Catalogs[number]>> => ({
  ...projection,
  select: (recorded) => {
    for (const catalog of catalogs) if (catalog.owns(recorded.eventType)) return catalog.decode(recorded)
    return Result.succeed(undefined)
  }
})

/** The event type of a catalog; for a union of catalogs, the union of their events. */
export type EventOf<C> = C extends EventCatalog<infer E> ? E : never

/**
 * Folds a batch of envelopes into `working`, a state private to the caller, decoding through
 * `select`. The working state is mutated in place across batches, so a long catch-up costs what
 * its events cost, not a copy of the whole state per batch.
 */
const foldBatchInto = <S, E>(
  projection: Projection<S, E>,
  working: S,
  batch: ReadonlyArray<RecordedEvent>
): Result.Result<S, EventSchemaViolation> => {
  const evolve = projection.evolve as unknown as (s: S, e: E, r: RecordedEvent) => S | void
  const selected: Array<readonly [E, RecordedEvent]> = []
  for (const recorded of batch) {
    const event = projection.select(recorded)
    if (Result.isFailure(event)) return Result.fail(event.failure)
    if (event.success !== undefined) selected.push([event.success, recorded])
  }
  return Result.succeed(foldInto((s: S, [event, recorded]) => evolve(s, event, recorded), working, selected))
}

/** A projection's state at a position. */
export interface Snapshot<S> {
  readonly state: S
  readonly position: Checkpoint.Checkpoint
}

/** Folds the whole log now, from the beginning. */
export const live = <S, E>(
  projection: Projection<S, E>,
  options: { readonly batchSize?: number } = {}
): Effect.Effect<Snapshot<S>, ReadError | EventSchemaViolation, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    let working = mutableCopy(projection.initial)
    let position = Checkpoint.beginning
    for (;;) {
      const batch = yield* store.readAll({ after: position, limit: options.batchSize ?? 5000 })
      if (batch.length === 0) return { state: frozenCopy(working), position }
      working = yield* Effect.fromResult(foldBatchInto(projection, working, batch))
      position = (batch[batch.length - 1] as RecordedEvent).globalPosition
    }
  }).pipe(Effect.withSpan("Projection.live", { attributes: { "vouch.projection": projection.name } }))

/** A running projection. */
export interface Runner<S> {
  /** The current state (immutable). */
  readonly state: Effect.Effect<S>
  /** The position of the last event folded in. */
  readonly position: Effect.Effect<Checkpoint.Checkpoint>
  /** Waits until the runner has folded everything up to `position`; fails if the runner failed. */
  readonly waitFor: (position: Checkpoint.Checkpoint) => Effect.Effect<void, RunnerError>
  /** Waits until the runner has folded every event in the log at the time of the call. */
  readonly caughtUp: Effect.Effect<void, RunnerError | ReadError>
}

/** Why a runner stopped. */
export type RunnerError = ReadError | StorageFailure | EventSchemaViolation

/** How a runner reads and saves. */
export interface RunnerOptions {
  /** Events per read (default 1000). */
  readonly batchSize?: number
  /** Save state and position after this many batches, and whenever caught up (default 10). */
  readonly saveEveryBatches?: number
}

/**
 * Starts a catch-up runner in the current scope: resumes from the saved checkpoint (or rebuilds
 * when the projection's version changed), follows the log, and saves state and position
 * together. Closing the scope stops it.
 */
export const start = <S, E>(
  projection: Projection<S, E>,
  options: RunnerOptions = {}
): Effect.Effect<
  Runner<S>,
  StorageFailure | EventSchemaViolation,
  EventStore | CheckpointStore.CheckpointStore | Scope.Scope
> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const checkpoints = yield* CheckpointStore.CheckpointStore
    const decodeState = Schema.decodeUnknownResult(projection.state)
    const encodeState = Schema.encodeResult(projection.state)
    const saved = yield* checkpoints.load(projection.name)
    // The runner folds into a private working state; callers get frozen copies, made on demand.
    let working = mutableCopy(projection.initial)
    let position = Checkpoint.beginning
    if (Option.isSome(saved) && saved.value.version === projection.version) {
      const restored = decodeState(saved.value.state)
      if (Result.isSuccess(restored)) {
        working = mutableCopy(restored.success)
        position = saved.value.position
      }
      // A saved state that no longer decodes is rebuilt from the beginning rather than trusted.
    }
    let published: S | undefined
    let failure: RunnerError | undefined
    const waiters = new Set<{ readonly target: Checkpoint.Checkpoint; readonly wake: () => void }>()
    const wakeReached = () => {
      for (const waiter of [...waiters]) {
        if (failure !== undefined || Checkpoint.compare(waiter.target, position) <= 0) {
          waiters.delete(waiter)
          waiter.wake()
        }
      }
    }
    const save = Effect.suspend(() => {
      const encoded = encodeState(working)
      if (Result.isFailure(encoded)) return Effect.die(encoded.failure)
      return checkpoints.save(projection.name, {
        position,
        version: projection.version,
        state: encoded.success as Json.Json
      })
    })
    const batchSize = options.batchSize ?? 1000
    const saveEvery = options.saveEveryBatches ?? 10
    const loop = Effect.gen(function* () {
      let unsaved = 0
      for (;;) {
        const batch = yield* store.readAll({ after: position, limit: batchSize })
        if (batch.length === 0) {
          if (unsaved > 0) {
            yield* save
            unsaved = 0
          }
          yield* store.waitForEvents(position)
          continue
        }
        const last = (batch[batch.length - 1] as RecordedEvent).globalPosition
        yield* Effect.gen(function* () {
          working = yield* Effect.fromResult(foldBatchInto(projection, working, batch))
          published = undefined
          position = last
          unsaved++
          if (unsaved >= saveEvery || batch.length < batchSize) {
            yield* save
            unsaved = 0
          }
        }).pipe(
          Effect.withSpan(
            "Projection.batch",
            {
              attributes: {
                "vouch.projection": projection.name,
                "vouch.event_count": batch.length,
                "vouch.position": last
              }
            },
            { captureStackTrace: false }
          )
        )
        wakeReached()
      }
    }).pipe(
      Effect.tapError((error) =>
        Effect.sync(() => {
          failure = error
          wakeReached()
        })
      ),
      Effect.withSpan("Projection.runner", { attributes: { "vouch.projection": projection.name } })
    )
    yield* Effect.forkScoped(loop)

    const waitFor = (target: Checkpoint.Checkpoint): Effect.Effect<void, RunnerError> =>
      Effect.suspend(() => {
        if (failure !== undefined) return Effect.fail(failure)
        if (Checkpoint.compare(target, position) <= 0) return Effect.void
        return Effect.callback<void, RunnerError>((resume) => {
          const waiter = {
            target,
            wake: () => resume(failure === undefined ? Effect.void : Effect.fail(failure))
          }
          waiters.add(waiter)
          return Effect.sync(() => {
            waiters.delete(waiter)
          })
        })
      })

    const caughtUp = Effect.gen(function* () {
      let head = position
      for (;;) {
        const batch = yield* store.readAll({ after: head, limit: 5000 })
        if (batch.length === 0) break
        head = (batch[batch.length - 1] as RecordedEvent).globalPosition
      }
      yield* waitFor(head)
    })

    return {
      state: Effect.sync(() => {
        if (published === undefined) published = frozenCopy(working)
        return published
      }),
      position: Effect.sync(() => position),
      waitFor,
      caughtUp
    } satisfies Runner<S>
  })
