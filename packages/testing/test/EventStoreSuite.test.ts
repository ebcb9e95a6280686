/**
 * The conformance suite must not pass vacuously: each deliberately broken adapter below breaks one
 * rule, and the cases that guard that rule must fail against it while the whole suite still
 * passes on the reference memory store.
 */
import { CheckpointStore, EventId, EventStore, ExpectedVersion } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { EventStoreSuite } from "@vouch/testing"
import { Context, Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"

type Stores = EventStoreSuite.Stores

/** A memory store with one behaviour replaced. */
const broken = (
  change: (
    store: EventStore.Service,
    checkpoints: CheckpointStore.Service
  ) => Partial<EventStore.Service> & {
    readonly checkpoints?: Partial<CheckpointStore.Service>
  }
): Layer.Layer<Stores> =>
  Layer.effectContext(
    Effect.map(MemoryEventStore.make, ({ eventStore, checkpointStore }) => {
      const { checkpoints, ...storeChanges } = change(eventStore, checkpointStore)
      return Context.make(EventStore.EventStore, { ...eventStore, ...storeChanges }).pipe(
        Context.add(CheckpointStore.CheckpointStore, { ...checkpointStore, ...checkpoints })
      )
    })
  )

const brokenAdapters: ReadonlyArray<{
  readonly name: string
  readonly layer: Layer.Layer<Stores>
  readonly guardedBy: ReadonlyArray<string>
}> = [
  {
    name: "checks expected versions only on the read side (ignores them on append)",
    layer: broken((store) => ({
      append: (streamId, _expected, events) => store.append(streamId, ExpectedVersion.any, events)
    })),
    guardedBy: [
      "expected version NoStream: succeeds on a new stream, conflicts on an existing one",
      "expected version Exact: 0 means a new stream; a wrong version conflicts and stores nothing",
      "many writers racing for one version: exactly one wins"
    ]
  },
  {
    name: "skips an event in global reads",
    layer: broken((store) => ({
      readAll: (options) =>
        Effect.map(store.readAll(options), (batch) =>
          batch.length > 3 ? [...batch.slice(0, 2), ...batch.slice(3)] : batch
        )
    })),
    guardedBy: [
      "reads the global log in append order, in pages, exactly once",
      "many writers on many streams while a reader follows the global log: every event once, in stream order"
    ]
  },
  {
    name: "stores a retried append twice (no idempotency)",
    layer: broken((store) => ({
      append: (streamId, expected, events) =>
        store.append(
          streamId,
          expected,
          events.map((event) => ({ ...event, eventId: EventId.make() }))
        )
    })),
    guardedBy: ["re-appending the same events at the same expected version returns the original result"]
  },
  {
    name: "returns backwards reads in forward order",
    layer: broken((store) => ({
      readStream: (streamId, options) =>
        Effect.map(store.readStream(streamId, options), (events) =>
          [...events].sort((a, b) => a.streamVersion - b.streamVersion)
        )
    })),
    guardedBy: ["reads a stream forwards and backwards with bounds and limits"]
  },
  {
    name: "forgets projection state saved with a checkpoint",
    layer: broken((_store, checkpoints) => ({
      checkpoints: {
        save: (name, saved) => checkpoints.save(name, { position: saved.position, version: saved.version })
      }
    })),
    guardedBy: ["saves, loads and replaces checkpoints, with and without state"]
  },
  {
    name: "never wakes waiting readers",
    layer: broken((store) => ({ waitForEvents: (after) => Effect.andThen(store.waitForEvents(after), Effect.never) })),
    guardedBy: ["waitForEvents returns at once when events exist, and wakes on an append otherwise"]
  }
]

const allCases = EventStoreSuite.cases(0.25).flatMap((group) => group.cases)
const caseNamed = (name: string) => {
  const found = allCases.find((c) => c.name === name)
  if (found === undefined) throw new Error(`no suite case named "${name}"`)
  return found
}

describe("EventStoreSuite catches broken adapters", () => {
  for (const adapter of brokenAdapters) {
    it(`fails an adapter that ${adapter.name}`, async () => {
      for (const name of adapter.guardedBy) {
        await expect(EventStoreSuite.runCase(adapter.layer, caseNamed(name)), name).rejects.toBeDefined()
      }
    })
  }

  it("passes every case on the reference memory store", async () => {
    for (const testCase of allCases) await EventStoreSuite.runCase(MemoryEventStore.layer, testCase)
  })
})
