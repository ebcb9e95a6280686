import { Aggregate, CommandHandler, ConcurrencyConflict, type Event, EventStore, ExpectedVersion } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { DateTime, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { Ticket, type TicketCommand } from "./fixtures/Ticket.ts"
import { failureOf, runOnMemory } from "./helpers.ts"

const at = DateTime.makeUnsafe("2025-03-07T18:30:00Z")
const open: TicketCommand = { _tag: "Open", ticketId: "1", owner: "li", at }

describe("CommandHandler.handle", () => {
  it("loads, decides and appends, returning the new state and version", () =>
    runOnMemory(
      Effect.gen(function* () {
        const first = yield* CommandHandler.handle(Ticket, "ticket-1", open, {
          metadata: { actor: "li", correlationId: "c1" }
        })
        expect(first).toMatchObject({ version: 1, duplicate: false, state: { status: "open", owner: "li" } })
        const second = yield* CommandHandler.handle(Ticket, "ticket-1", { _tag: "Reply", by: "li", text: "hi", at })
        expect(second.version).toBe(2)
        expect(second.state.replies).toEqual(["hi"])
        const recorded = yield* EventStore.readWholeStream("ticket-1")
        expect(recorded.map((e) => e.eventType)).toEqual(["tickets/Opened", "tickets/Replied"])
        expect(recorded[0]?.metadata).toEqual({ actor: "li", correlationId: "c1" })
        expect((yield* Aggregate.load(Ticket, "ticket-1")).state).toEqual(second.state)
      })
    ))

  it("returns domain errors typed and appends nothing", () =>
    runOnMemory(
      Effect.gen(function* () {
        const error = yield* failureOf(CommandHandler.handle(Ticket, "ticket-2", { _tag: "Close", cause: "x", at }))
        expect(error).toMatchObject({ _tag: "TicketError", reason: "not open" })
        expect(yield* EventStore.exists("ticket-2")).toBe(false)
      })
    ))

  it("handles the same command id once, returning the original events on a repeat", () =>
    runOnMemory(
      Effect.gen(function* () {
        const first = yield* CommandHandler.handle(Ticket, "ticket-3", open, { commandId: "cmd-1" })
        const again = yield* CommandHandler.handle(Ticket, "ticket-3", open, { commandId: "cmd-1" })
        expect(again).toMatchObject({ duplicate: true, version: 1, events: first.events, position: first.position })
        expect((yield* EventStore.readWholeStream("ticket-3")).length).toBe(1)
        // concurrent duplicates: all but one lose the race, reload, and find the command already recorded
        const replies = yield* Effect.forEach(
          [1, 2, 3, 4, 5, 6],
          () =>
            CommandHandler.handle(
              Ticket,
              "ticket-3",
              { _tag: "Reply", by: "li", text: "once", at },
              { commandId: "cmd-2" }
            ),
          { concurrency: "unbounded" }
        )
        expect(replies.filter((r) => !r.duplicate).length).toBe(1)
        expect((yield* EventStore.readWholeStream("ticket-3")).length).toBe(2)
      })
    ))

  it("retries after a concurrency conflict and lets every concurrent writer through", () =>
    runOnMemory(
      Effect.gen(function* () {
        yield* CommandHandler.handle(Ticket, "ticket-4", open)
        yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          (i) =>
            CommandHandler.handle(
              Ticket,
              "ticket-4",
              { _tag: "Reply", by: "w", text: `r${i}`, at },
              { maxRetries: 20 }
            ),
          { concurrency: "unbounded" }
        )
        const state = (yield* Aggregate.load(Ticket, "ticket-4")).state
        expect([...state.replies].sort()).toEqual(["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"])
      })
    ))

  it("gives up with the ConcurrencyConflict after the allowed retries", async () => {
    let appends = 0
    const alwaysBehind = Layer.effect(
      EventStore.EventStore,
      Effect.gen(function* () {
        const real = yield* EventStore.EventStore
        return {
          ...real,
          append: (
            streamId: string,
            expected: ExpectedVersion.ExpectedVersion,
            events: ReadonlyArray<Event.NewEvent>
          ) => {
            appends++
            return real
              .append(streamId, ExpectedVersion.any, events.slice(0, 0))
              .pipe(Effect.andThen(Effect.fail(new ConcurrencyConflict({ streamId, expected, actual: 99 }))))
          }
        }
      })
    ).pipe(Layer.provide(MemoryEventStore.layer))
    const error = await Effect.runPromise(
      failureOf(CommandHandler.handle(Ticket, "ticket-5", open, { maxRetries: 3 })).pipe(Effect.provide(alwaysBehind))
    )
    expect(error).toBeInstanceOf(ConcurrencyConflict)
    expect(appends).toBe(4)
  })

  it("takes 'now' from Effect's Clock for commands built at handling time", () =>
    runOnMemory(
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.UTC(2025, 4, 1, 9, 0, 0))
        const result = yield* CommandHandler.handle(
          Ticket,
          "ticket-6",
          (now): TicketCommand => ({ _tag: "Open", ticketId: "6", owner: "li", at: now })
        )
        expect(DateTime.toEpochMillis((result.events[0] as { at: DateTime.Utc }).at)).toBe(
          Date.UTC(2025, 4, 1, 9, 0, 0)
        )
        const [recorded] = yield* EventStore.readWholeStream("ticket-6")
        expect(recorded?.recordedAt).toBe(Date.UTC(2025, 4, 1, 9, 0, 0))
      }).pipe(Effect.provide(TestClock.layer()))
    ))
})
