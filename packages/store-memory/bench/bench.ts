/**
 * In-memory store benchmarks (issue 2's speed targets). Every append goes through the event
 * catalog (schema encode, id generation) and the store's validation, as applications use it;
 * every rehydration decodes through the catalog. Run with `pnpm bench`.
 */
import { fileURLToPath } from "node:url"
import { Aggregate, CommandHandler, Decider, type Event, EventStore, ExpectedVersion } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { Effect } from "effect"
import { produce } from "immer"
import { main, type Workload } from "../../../bench/harness.ts"
import { Case, caseEvent, decider, encodedCaseEvent, evolve, initialState } from "./caseAggregate.ts"

const run = <A>(effect: Effect.Effect<A, unknown, EventStore.EventStore>) =>
  Effect.runPromise(Effect.provide(effect, MemoryEventStore.layer) as Effect.Effect<A>)

const appendWorkload = (name: string, writers: number, perCall: number, totalEvents: number): Workload => ({
  name,
  run: () =>
    run(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const calls = totalEvents / perCall / writers
        const writer = (w: number) =>
          Effect.gen(function* () {
            for (let c = 0; c < calls; c++) {
              const streamId = `case-${w}-${c % 100}`
              const batch = Array.from({ length: perCall }, (_, i) => encodedCaseEvent(streamId, c * perCall + i))
              yield* store.append(streamId, ExpectedVersion.any, batch)
            }
          })
        const start = performance.now()
        yield* Effect.forEach(
          Array.from({ length: writers }, (_, w) => w),
          writer,
          { concurrency: "unbounded" }
        )
        return { events: totalEvents, ms: performance.now() - start }
      })
    )
})

/** Fills a store, then measures loading streams through the catalog and the fold. */
const rehydrateWorkload = (name: string, streams: number, perStream: number, rounds: number): Workload => ({
  name,
  run: () =>
    run(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        for (let s = 0; s < streams; s++) {
          for (let from = 0; from < perStream; from += 1000) {
            const batch = Array.from({ length: Math.min(1000, perStream - from) }, (_, i) =>
              encodedCaseEvent(`case-${s}`, from + i)
            )
            yield* store.append(`case-${s}`, ExpectedVersion.any, batch)
          }
        }
        const loadAll = Effect.forEach(
          Array.from({ length: streams }, (_, s) => s),
          (s) => Aggregate.load(Case, `case-${s}`),
          { discard: true }
        )
        yield* loadAll // warm-up: the JIT compiles the read, decode and fold paths
        const start = performance.now()
        for (let r = 0; r < rounds; r++) yield* loadAll
        return { events: streams * perStream * rounds, ms: performance.now() - start }
      })
    )
})

const foldEvents = Array.from({ length: 200_000 }, (_, i) => caseEvent(i))

const foldWorkload = (name: string, fold: () => unknown): Workload => ({
  name,
  run: async () => {
    fold() // warm up
    const start = performance.now()
    for (let r = 0; r < 5; r++) fold()
    return { events: foldEvents.length * 5, ms: performance.now() - start }
  }
})

const handWritten = () => {
  const state = { minutes: 0, level: 0, perAgent: {} as Record<string, number>, count: 0 }
  for (const e of foldEvents) evolve(state, e)
  return state
}

const workloads: ReadonlyArray<Workload> = [
  appendWorkload("append: 1 writer, 1 event per call", 1, 1, 200_000),
  appendWorkload("append: 1 writer, 10 events per call", 1, 10, 1_000_000),
  appendWorkload("append: 8 writers, 1 event per call", 8, 1, 200_000),
  appendWorkload("append: 8 writers, 10 events per call", 8, 10, 1_000_000),
  rehydrateWorkload("rehydrate: 1 stream of 100,000 events", 1, 100_000, 10),
  rehydrateWorkload("rehydrate: 1,000 streams of 100 events", 1000, 100, 10),
  {
    name: "contention: 8 writers on one stream via the command handler",
    run: () =>
      run(
        Effect.gen(function* () {
          const perWriter = 250
          const start = performance.now()
          yield* Effect.forEach(
            Array.from({ length: 8 }, (_, w) => w),
            (w) =>
              Effect.gen(function* () {
                for (let i = 0; i < perWriter; i++) {
                  yield* CommandHandler.handle(Case, "case-hot", { _tag: "Log", agent: `w${w}` }, { maxRetries: 1000 })
                  yield* Effect.yieldNow
                }
              }),
            { concurrency: "unbounded" }
          )
          const ms = performance.now() - start
          const version = yield* EventStore.EventStore.use((s) => s.streamVersion("case-hot"))
          return { events: version, ms, extra: { "versions contiguous": version === 8 * perWriter ? "yes" : "NO" } }
        })
      )
  },
  {
    name: "global read: 1,000,000 events in batches of 1,000",
    run: () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore.EventStore
          for (let c = 0; c < 1000; c++) {
            const streamId = `case-${c}`
            yield* store.append(
              streamId,
              ExpectedVersion.any,
              Array.from({ length: 1000 }, (_, i) => encodedCaseEvent(streamId, i))
            )
          }
          const start = performance.now()
          let count = 0
          let after = undefined as Event.RecordedEvent["globalPosition"] | undefined
          for (;;) {
            const batch = yield* store.readAll(after === undefined ? { limit: 1000 } : { after, limit: 1000 })
            if (batch.length === 0) break
            count += batch.length
            after = batch[batch.length - 1]!.globalPosition
          }
          return { events: count, ms: performance.now() - start }
        })
      )
  },
  foldWorkload("fold 200,000 events: hand-written mutable loop", handWritten),
  foldWorkload("fold 200,000 events: Decider.fold (evolve as a mutation, no proxy)", () =>
    Decider.fold(decider, foldEvents)
  ),
  foldWorkload("fold 200,000 events: one immer draft for all events", () =>
    produce(initialState, (draft) => {
      for (const e of foldEvents) evolve(draft, e)
    })
  ),
  foldWorkload("fold 200,000 events: immer produce per event", () => {
    let state = initialState
    for (const e of foldEvents) state = produce(state, (draft) => evolve(draft, e))
    return state
  })
]

await main("@vouch/store-memory and the core fold", fileURLToPath(import.meta.url), workloads)
