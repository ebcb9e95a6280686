import {
  CheckpointStore,
  CommandHandler,
  type Event,
  EventStore,
  ExpectedVersion,
  Projection,
  Subscription
} from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { DateTime, Effect, Exit, Fiber, Layer, Option, Schema, Scope, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Events, Ticket } from "./fixtures/Ticket.ts"
import { raw, runOnMemory } from "./helpers.ts"

const at = DateTime.makeUnsafe("2025-03-07T18:30:00Z")

/** Open tickets per owner, over typed ticket events. */
const openPerOwner = (version = 1) =>
  Projection.fromCatalogs([Events], {
    name: "open-per-owner",
    version,
    initial: { owners: {} as Record<string, number>, folded: 0 },
    state: Schema.Struct({ owners: Schema.Record(Schema.String, Schema.Number), folded: Schema.Number }),
    evolve: (state, event, recorded) => {
      state.folded++
      const owner = recorded.streamId
      if (event._tag === "Opened") state.owners[owner] = (state.owners[owner] ?? 0) + 1
      if (event._tag === "Closed") state.owners[owner] = (state.owners[owner] ?? 0) - 1
    }
  })

const openTickets = (n: number, prefix: string) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    (i) => CommandHandler.handle(Ticket, `ticket-${prefix}${i}`, { _tag: "Open", ticketId: `${i}`, owner: "li", at })
  )

describe("Subscription", () => {
  it("emits every event once in global order, catching up then following", () =>
    runOnMemory(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        yield* store.append("a-1", ExpectedVersion.any, [raw("t/X", { n: 0 }), raw("t/X", { n: 1 })])
        const fiber = yield* Effect.forkChild(Stream.runCollect(Subscription.events().pipe(Stream.take(6))))
        for (let n = 2; n < 6; n++) {
          yield* Effect.sleep(2)
          yield* store.append(`a-${n % 2}`, ExpectedVersion.any, [raw("t/X", { n })])
        }
        const seen: ReadonlyArray<Event.RecordedEvent> = yield* Fiber.join(fiber)
        expect(seen.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 5])
      })
    ))

  it("resumes a durable subscription from its saved checkpoint", () =>
    runOnMemory(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        for (let n = 0; n < 10; n++) yield* store.append("s-1", ExpectedVersion.any, [raw("t/X", { n })])
        const handled: Array<number> = []
        const consume = Subscription.run(
          "counter",
          (batch) => Effect.sync(() => handled.push(...batch.map((e) => (e.data as { n: number }).n))),
          { batchSize: 3 }
        )
        const first = yield* Effect.forkChild(consume)
        while (handled.length < 10) yield* Effect.sleep(1)
        yield* Fiber.interrupt(first)
        for (let n = 10; n < 15; n++) yield* store.append("s-1", ExpectedVersion.any, [raw("t/X", { n })])
        const second = yield* Effect.forkChild(consume)
        while (handled.length < 15) yield* Effect.sleep(1)
        yield* Effect.sleep(10)
        yield* Fiber.interrupt(second)
        expect(handled).toEqual(Array.from({ length: 15 }, (_, i) => i))
      })
    ))
})

describe("Projection", () => {
  it("folds the whole log live", () =>
    runOnMemory(
      Effect.gen(function* () {
        yield* openTickets(3, "a")
        yield* CommandHandler.handle(Ticket, "ticket-a1", { _tag: "Close", cause: "done", at })
        const store = yield* EventStore.EventStore
        yield* store.append("unrelated-1", ExpectedVersion.any, [raw("other/Thing", {})])
        const { state } = yield* Projection.live(openPerOwner())
        expect(state).toEqual({ owners: { "ticket-a0": 1, "ticket-a1": 0, "ticket-a2": 1 }, folded: 4 })
        expect(Object.isFrozen(state)).toBe(true)
      })
    ))

  it("runs as a catch-up runner that resumes after a restart without repeating or missing events", () =>
    runOnMemory(
      Effect.gen(function* () {
        yield* openTickets(25, "b")
        const firstRun = yield* Scope.make()
        const runner = yield* Projection.start(openPerOwner(), { batchSize: 4 }).pipe(Scope.provide(firstRun))
        yield* runner.caughtUp
        expect((yield* runner.state).folded).toBe(25)
        yield* Scope.close(firstRun, Exit.void)
        yield* openTickets(5, "c")
        const saved = yield* CheckpointStore.load("open-per-owner")
        expect(Option.getOrThrow(saved).state).toMatchObject({ folded: 25 })
        const restarted = yield* Projection.start(openPerOwner(), { batchSize: 4 })
        yield* restarted.caughtUp
        expect((yield* restarted.state).folded).toBe(30)
        const appended = yield* CommandHandler.handle(Ticket, "ticket-c0", { _tag: "Close", cause: "done", at })
        yield* restarted.waitFor(appended.position!)
        expect((yield* restarted.state).owners["ticket-c0"]).toBe(0)
      }).pipe(Effect.scoped)
    ))

  it("rebuilds from the beginning when the projection's version changes", () =>
    runOnMemory(
      Effect.gen(function* () {
        yield* openTickets(6, "d")
        yield* CheckpointStore.save("open-per-owner", {
          position: (yield* EventStore.EventStore.use((s) => s.readAll({ limit: 2 })))[1]!.globalPosition,
          version: 1,
          state: { owners: {}, folded: 1000 }
        })
        const rebuilt = yield* Projection.start(openPerOwner(2))
        yield* rebuilt.caughtUp
        expect((yield* rebuilt.state).folded).toBe(6)
      }).pipe(Effect.scoped)
    ))

  it("stops with a typed error on an event that fails its schema, and waiters see it", () =>
    runOnMemory(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const bad = yield* store.append("ticket-x", ExpectedVersion.any, [raw("tickets/Opened", { owner: 5 })])
        const runner = yield* Projection.start(openPerOwner())
        const exit = yield* Effect.exit(runner.waitFor(bad.position))
        expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/EventSchemaViolation/)
      }).pipe(Effect.scoped)
    ))
})

describe("shared store layer", () => {
  it("is one store per layer build", async () => {
    const layer = Layer.fresh(MemoryEventStore.layer)
    const count = (effect: Effect.Effect<number, never, EventStore.EventStore | CheckpointStore.CheckpointStore>) =>
      Effect.runPromise(Effect.provide(effect, layer))
    await Effect.runPromise(
      Effect.provide(
        EventStore.EventStore.use((s) => s.append("x-1", ExpectedVersion.any, [raw("t/X", {})])),
        layer
      )
    )
    expect(await count(EventStore.EventStore.use((s) => s.streamVersion("x-1")).pipe(Effect.orDie))).toBe(0)
  })
})
