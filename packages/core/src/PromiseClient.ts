/**
 * A thin Promise-based facade for applications that do not use Effect. It is built from a store
 * layer, runs everything on one managed runtime, and rejects with the same tagged error classes
 * Effect users see (`ConcurrencyConflict`, a decider's own errors, ...), so `instanceof` and
 * `error._tag` work as usual. Effect users never need it.
 */
import { Cause, type Effect, Exit, type Layer, ManagedRuntime, Option, Scope } from "effect"
import * as Aggregate from "./Aggregate.ts"
import type * as Checkpoint from "./Checkpoint.ts"
import type * as CheckpointStore from "./CheckpointStore.ts"
import * as CommandHandler from "./CommandHandler.ts"
import type { RecordedEvent } from "./Event.ts"
import { EventStore, type ReadStreamOptions } from "./EventStore.ts"
import * as Projection from "./Projection.ts"

/** A projection running in the background, for Promise callers. */
export interface RunningProjection<S> {
  /** The current state. */
  readonly state: () => Promise<S>
  /** Resolves once everything appended so far is folded in. */
  readonly caughtUp: () => Promise<void>
  /** Resolves once the runner has folded everything up to `position`. */
  readonly waitFor: (position: Checkpoint.Checkpoint) => Promise<void>
  /** Stops the runner. */
  readonly stop: () => Promise<void>
}

/** The facade. */
export interface Client {
  /** Handles a command: load, decide, append. */
  readonly handle: <C, S, E extends { readonly _tag: string }, Err>(
    aggregate: Aggregate.Aggregate<C, S, E, Err>,
    streamId: string,
    command: CommandHandler.CommandInput<C>,
    options?: CommandHandler.HandleOptions
  ) => Promise<CommandHandler.Handled<S, E>>
  /** Loads an aggregate's current state. */
  readonly load: <C, S, E extends { readonly _tag: string }, Err>(
    aggregate: Aggregate.Aggregate<C, S, E, Err>,
    streamId: string
  ) => Promise<Aggregate.Loaded<S>>
  /** Reads one stream's envelopes. */
  readonly readStream: (streamId: string, options?: ReadStreamOptions) => Promise<ReadonlyArray<RecordedEvent>>
  /** Folds a projection over the whole log now. */
  readonly project: <S, E>(projection: Projection.Projection<S, E>) => Promise<Projection.Snapshot<S>>
  /** Starts a checkpointed projection runner in the background. */
  readonly startProjection: <S, E>(projection: Projection.Projection<S, E>) => Promise<RunningProjection<S>>
  /** Stops every runner and releases the store. */
  readonly close: () => Promise<void>
}

type Stores = EventStore | CheckpointStore.CheckpointStore

/** Creates the facade over a store layer, e.g. `PromiseClient.make(MemoryEventStore.layer)`. */
export const make = <E>(layer: Layer.Layer<Stores, E>): Client => {
  const runtime = ManagedRuntime.make(layer)
  const run = async <A>(effect: Effect.Effect<A, unknown, Stores>): Promise<A> => {
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    const error = Cause.findErrorOption(exit.cause)
    throw Option.isSome(error) ? error.value : Cause.squash(exit.cause)
  }
  return {
    handle: (aggregate, streamId, command, options) =>
      run(CommandHandler.handle(aggregate, streamId, command, options)),
    load: (aggregate, streamId) => run(Aggregate.load(aggregate, streamId)),
    readStream: (streamId, options) => run(EventStore.use((store) => store.readStream(streamId, options))),
    project: (projection) => run(Projection.live(projection)),
    startProjection: async (projection) => {
      const scope = await run(Scope.make())
      const runner = await run(Scope.provide(Projection.start(projection), scope))
      return {
        state: () => run(runner.state),
        caughtUp: () => run(runner.caughtUp),
        waitFor: (position) => run(runner.waitFor(position)),
        stop: () => run(Scope.close(scope, Exit.void))
      }
    },
    close: () => runtime.dispose()
  }
}
