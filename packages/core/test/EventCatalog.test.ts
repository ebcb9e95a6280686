import { Aggregate, Event, EventCatalog, EventId, EventStore, ExpectedVersion } from "@vouch/core"
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

  it("decodes afresh on every read, so one reader's changes never reach the next", () =>
    runOnMemory(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        yield* store.append("ticket-5", ExpectedVersion.any, [
          raw("tickets/Opened", { ticketId: "5", owner: "li", at: "2025-01-01T00:00:00.000Z" })
        ])
        const [recorded] = yield* store.readStream("ticket-5")
        const first = Result.getOrThrow(Events.decode(recorded!)) as { owner: string }
        first.owner = "changed by a careless reader"
        const second = Result.getOrThrow(Events.decode(recorded!))
        expect(second).toMatchObject({ _tag: "Opened", owner: "li" })
        expect(second).not.toBe(first)
      })
    ))
  it("decodeEach visits events in order and stops at the first that does not match", () =>
    runOnMemory(
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        yield* store.append("ticket-9", ExpectedVersion.any, [
          raw("tickets/Opened", { ticketId: "9", owner: "li", at: "2025-01-01T00:00:00.000Z" }),
          raw("tickets/Opened", { ticketId: 9, owner: "li", at: "2025-01-01T00:00:00.000Z" }),
          raw("tickets/Opened", { ticketId: "9b", owner: "li", at: "2025-01-01T00:00:00.000Z" })
        ])
        const recorded = yield* store.readStream("ticket-9")
        const seen: Array<unknown> = []
        const failure = Events.decodeEach(recorded, (event) => seen.push(event))
        expect(seen).toEqual([expect.objectContaining({ _tag: "Opened", ticketId: "9" })])
        expect(failure).toMatchObject({ _tag: "EventSchemaViolation", streamId: "ticket-9", streamVersion: 2 })
        expect(Events.decodeEach(recorded.slice(0, 1), () => {})).toBeUndefined()
        const folded = Aggregate.foldStream(Ticket, recorded)
        expect(Result.isFailure(folded) && folded.failure).toMatchObject({ streamVersion: 2 })
      })
    ))

  describe("envelopes built through the schema shortcut", () => {
    const Note = Schema.TaggedStruct("Noted", { text: Schema.String, tags: Schema.Array(Schema.String) })
    const Notes = EventCatalog.make("notes", Schema.Union([Note]))
    const note = { _tag: "Noted" as const, text: "hello", tags: ["a"] }

    it("are frozen JSON that the append path takes as they are, with no second copy", () => {
      const envelope = Result.getOrThrow(Notes.encode(note, { streamId: "note-1", metadata: { actor: "li" } }))
      expect(envelope.data).toEqual({ text: "hello", tags: ["a"] })
      expect(Object.isFrozen(envelope) && Object.isFrozen(envelope.data)).toBe(true)
      expect(Object.isFrozen((envelope.data as { tags: unknown }).tags)).toBe(true)
      expect(Object.isFrozen(envelope.metadata)).toBe(true)
      const prepared = Result.getOrThrow(Event.prepareAppend("note-1", [envelope]))
      expect(prepared.events[0]).toBe(envelope)
      // A look-alike is validated and copied like any other envelope.
      const lookAlike = { ...envelope }
      expect(Result.getOrThrow(Event.prepareAppend("note-1", [lookAlike])).events[0]).not.toBe(lookAlike)
    })

    it("cannot be forged from their prototype", () => {
      const envelope = Result.getOrThrow(Notes.encode(note, { streamId: "note-1" }))
      const forged = Object.create(Object.getPrototypeOf(envelope)) as Event.NewEvent
      const verdict = Event.prepareAppend("note-1", [forged])
      expect(Result.isFailure(verdict) && verdict.failure._tag).toBe("InvalidEvent")
    })

    it("still refuse a repeated id, bad metadata and a bad given id at append", () => {
      const id = EventId.make()
      const twice = [note, note].map((event) => Result.getOrThrow(Notes.encode(event, { streamId: "n", eventId: id })))
      const repeated = Event.prepareAppend("n", twice)
      expect(Result.isFailure(repeated) && repeated.failure.message).toMatch(/appears twice/)
      const badMetadata = Result.getOrThrow(
        Notes.encode(note, { streamId: "n", metadata: { actor: 5 as unknown as string } })
      )
      const metadataVerdict = Event.prepareAppend("n", [badMetadata])
      expect(Result.isFailure(metadataVerdict) && metadataVerdict.failure.message).toMatch(/metadata.actor/)
      const badId = Result.getOrThrow(Notes.encode(note, { streamId: "n", eventId: "not-a-uuid" }))
      const idVerdict = Event.prepareAppend("n", [badId])
      expect(Result.isFailure(idVerdict) && idVerdict.failure.message).toMatch(/not a uuid/)
    })

    it("encodeAll shares one checked copy of the metadata across an append", () => {
      const metadata = { actor: "li", correlationId: "c-1" }
      const envelopes = Result.getOrThrow(Notes.encodeAll([note, note, note], { streamId: "n", metadata }))
      expect(envelopes.map((e) => e.metadata)).toEqual([metadata, metadata, metadata])
      expect(envelopes[0]?.metadata).not.toBe(metadata)
      expect(envelopes[1]?.metadata).toBe(envelopes[0]?.metadata)
      expect(new Set(envelopes.map((e) => e.eventId)).size).toBe(3)
      const bad = Notes.encodeAll([note, { ...note, text: 1 as unknown as string }], { streamId: "n" })
      expect(Result.isFailure(bad) && bad.failure).toMatchObject({
        _tag: "EventSchemaViolation",
        eventType: "notes/Noted"
      })
    })

    it("decode to the same events as Effect's parser, through the shortcut or not", () =>
      runOnMemory(
        Effect.gen(function* () {
          const store = yield* EventStore.EventStore
          yield* store.append(
            "note-2",
            ExpectedVersion.any,
            Result.getOrThrow(Notes.encodeAll([note], { streamId: "note-2" }))
          )
          // Stored data with a member the schema does not know: both paths drop it.
          yield* store.append("note-2", ExpectedVersion.any, [raw("notes/Noted", { text: "x", tags: [], extra: 1 })])
          const recorded = yield* store.readStream("note-2")
          const decoded = Result.getOrThrow(Notes.decodeAll(recorded))
          expect(decoded).toEqual([note, { _tag: "Noted", text: "x", tags: [] }])
          const slow = recorded.map((r) =>
            Result.getOrThrow(Schema.decodeUnknownResult(Note)({ ...(r.data as object), _tag: "Noted" }))
          )
          expect(decoded).toEqual(slow)
        })
      ))
  })
})
