/** Appends, reads, command handling and projection batches show up as spans with useful attributes. */
import { CommandHandler, Projection } from "@vouch/core"
import { DateTime, Effect, Schema, Tracer } from "effect"
import { describe, expect, it } from "vitest"
import { Ticket } from "./fixtures/Ticket.ts"
import { runOnMemory } from "./helpers.ts"

describe("tracing", () => {
  it("records spans for append, read, command handling and projection batches", () => {
    const spans: Array<Tracer.Span> = []
    const recording = Tracer.make({
      span(options) {
        const span = Tracer.nativeTracer.span(options)
        spans.push(span)
        return span
      },
      context: Tracer.nativeTracer.context
    })
    const at = DateTime.makeUnsafe("2025-03-07T10:00:00Z")
    const count = Projection.make({
      name: "count",
      version: 1,
      initial: { n: 0 },
      state: Schema.Struct({ n: Schema.Number }),
      evolve: (state) => {
        state.n++
      }
    })
    return runOnMemory(
      Effect.gen(function* () {
        const handled = yield* CommandHandler.handle(Ticket, "ticket-7", {
          _tag: "Open",
          ticketId: "7",
          owner: "li",
          at
        })
        const runner = yield* Projection.start(count)
        yield* runner.waitFor(handled.position!)
      }).pipe(Effect.scoped, Effect.withTracer(recording))
    ).then(() => {
      const named = (name: string) => spans.filter((s) => s.name === name)
      expect(named("CommandHandler.handle")[0]?.attributes.get("vouch.stream_id")).toBe("ticket-7")
      expect(named("EventStore.readStream")[0]?.attributes.get("vouch.stream_id")).toBe("ticket-7")
      expect(named("EventStore.append")[0]?.attributes.get("vouch.event_count")).toBe(1)
      const batch = named("Projection.batch")[0]
      expect(batch?.attributes.get("vouch.projection")).toBe("count")
      expect(batch?.attributes.get("vouch.event_count")).toBe(1)
      expect(named("EventStore.readAll").length).toBeGreaterThan(0)
    })
  })
})
