/** Shared helpers for core's tests: run an effect on a fresh memory store, build events. */
import { type Event, EventId } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { Cause, Effect, Exit, Option } from "effect"

/** Runs an effect against a fresh in-memory store. */
export const runOnMemory = <A, E>(
  effect: Effect.Effect<
    A,
    E,
    import("@vouch/core").EventStore.EventStore | import("@vouch/core").CheckpointStore.CheckpointStore
  >
): Promise<A> => Effect.runPromise(Effect.provide(effect, MemoryEventStore.layer) as Effect.Effect<A, E>)

/** The typed failure of an effect that must fail. */
export const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<E, never, R> =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
    const error = Cause.findErrorOption(exit.cause)
    if (Option.isNone(error)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
    return error.value
  })

/** A raw event envelope to append. */
export const raw = (eventType: string, data: unknown, schemaVersion = 1): Event.NewEvent => ({
  eventId: EventId.make(),
  eventType,
  schemaVersion,
  data: data as Event.NewEvent["data"],
  metadata: {}
})
