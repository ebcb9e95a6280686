import { Aggregate, EventCatalog, EventStore, ExpectedVersion } from "@vouch/core"
import { DateTime, Effect, Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Events, Ticket } from "./fixtures/Ticket.ts"
import { failureOf, raw, runOnMemory } from "./helpers.ts"

const at = DateTime.makeUnsafe("2025-03-07T18:30:00Z")

describe("EventCatalog", () => {
  it("names event types after the aggregate and stores data without the tag", () => {
    const encoded = Result.getOrThrow(
      Events.encode(
        { _tag: "Opened", ticketId: "t-1", owner: "li", at },
        { streamId: "ticket-t-1", metadata: { actor: "li" } }
      )
    )
    expect(encoded).toMatchObject({
      eventType: "tickets/Opened",
      schemaVersion: 1,
      data: { ticketId: "t-1", owner: "li", at: "2025-03-07T18:30:00.000Z" },
      metadata: { actor: "li" }
    })
    expect(Events.owns("tickets/Opened")).toBe(true)
    expect(Events.owns("other/Opened")).toBe(false)
  })

  it("refuses to encode an event that does not match its schema, before anything is stored", () => {
    const bad = Events.encode(
      { _tag: "Replied", by: "li", text: 42 as unknown as string, at },
      { streamId: "ticket-1" }
    )
    expect(Result.isFailure(bad) && bad.failure).toMatchObject({
      _tag: "EventSchemaViolation",
      eventType: "tickets/Replied",
      streamVersion: 0
    })
  })

  it("decodes stored events and reports one that fails its schema with stream, version, type and detail", () =>
    runOnMemory(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        yield* store.append("ticket-9", ExpectedVersion.noStream, [
          raw("tickets/Opened", { ticketId: "9", owner: "li", at: "2025-01-01T00:00:00.000Z" }),
          raw("tickets/Replied", { by: "li", at: "2025-01-01T00:00:00.000Z" })
        ])
        const error = yield* failureOf(Aggregate.load(Ticket, "ticket-9"))
        expect(error).toMatchObject({
          _tag: "EventSchemaViolation",
          streamId: "ticket-9",
          streamVersion: 2,
          eventType: "tickets/Replied"
        })
        expect(error.message).toMatch(/text/)
      })
    ))

  it("upcasts old schema versions on read, so version-1 events serve version-2 readers", () =>
    runOnMemory(
      Effect.gen(function* () {
        const V2 = Schema.TaggedStruct("Registered", {
          name: Schema.String,
          tier: Schema.Literals(["standard", "premium"])
        })
        const catalog = EventCatalog.make("members", V2, {
          Registered: { version: 2, upcasters: { 1: (data) => ({ ...(data as object), tier: "standard" }) } }
        })
        const store = yield* EventStore.EventStore
        yield* store.append("member-1", ExpectedVersion.any, [
          raw("members/Registered", { name: "王芳" }, 1),
          raw("members/Registered", { name: "李雷", tier: "premium" }, 2)
        ])
        const recorded = yield* store.readStream("member-1")
        expect(recorded.map((r) => Result.getOrThrow(catalog.decode(r)))).toEqual([
          { _tag: "Registered", name: "王芳", tier: "standard" },
          { _tag: "Registered", name: "李雷", tier: "premium" }
        ])
        yield* store.append("member-2", ExpectedVersion.any, [
          raw("members/Registered", { name: "x", tier: "standard" }, 3)
        ])
        const [newer] = yield* store.readStream("member-2")
        const refused = catalog.decode(newer!)
        expect(Result.isFailure(refused) && refused.failure.detail).toMatch(/newer than this reader's 2/)
      })
    ))

  it("names an entity's stream after the aggregate's category, refusing invalid ids", () => {
    expect(Aggregate.streamId(Ticket, "42")).toEqual(Result.succeed("ticket-42"))
    expect(Result.isFailure(Aggregate.streamId(Ticket, "4\n2"))).toBe(true)
  })

  it("requires an upcaster for every older version", () => {
    const V3 = Schema.TaggedStruct("Moved", { to: Schema.String })
    expect(() => EventCatalog.make("x", V3, { Moved: { version: 3, upcasters: { 1: (d) => d } } })).toThrow(
      /no upcaster from 2/
    )
  })

  it("hands out decoded events that cannot be changed by one reader for the next", () =>
    runOnMemory(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        yield* store.append("ticket-5", ExpectedVersion.any, [
          raw("tickets/Opened", { ticketId: "5", owner: "li", at: "2025-01-01T00:00:00.000Z" })
        ])
        const [recorded] = yield* store.readStream("ticket-5")
        const first = Result.getOrThrow(Events.decode(recorded!))
        expect(Object.isFrozen(first)).toBe(true)
        expect(Result.getOrThrow(Events.decode(recorded!))).toBe(first)
      })
    ))
})
