import { Projection, PromiseClient } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { DateTime, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Ticket, TicketError } from "./fixtures/Ticket.ts"

const at = DateTime.makeUnsafe("2025-03-07T18:30:00Z")
const replies = Projection.make({
  name: "reply-count",
  version: 1,
  initial: { replies: 0 },
  state: Schema.Struct({ replies: Schema.Number }),
  evolve: (state, recorded) => {
    if (recorded.eventType === "tickets/Replied") state.replies++
  }
})

describe("PromiseClient", () => {
  const client = PromiseClient.make(MemoryEventStore.layer)

  it("handles commands, reads streams, loads aggregates and runs projections with Promises", async () => {
    const opened = await client.handle(Ticket, "ticket-1", { _tag: "Open", ticketId: "1", owner: "li", at })
    expect(opened.version).toBe(1)
    await client.handle(Ticket, "ticket-1", { _tag: "Reply", by: "li", text: "hello", at })
    expect((await client.readStream("ticket-1")).map((e) => e.eventType)).toEqual(["tickets/Opened", "tickets/Replied"])
    expect((await client.load(Ticket, "ticket-1")).state.replies).toEqual(["hello"])
    expect((await client.project(replies)).state).toEqual({ replies: 1 })
    const running = await client.startProjection(replies)
    const replied = await client.handle(Ticket, "ticket-1", { _tag: "Reply", by: "li", text: "again", at })
    await running.waitFor(replied.position!)
    expect(await running.state()).toEqual({ replies: 2 })
    await running.stop()
  })

  it("rejects with the same tagged error classes Effect users see", async () => {
    const error = await client.handle(Ticket, "ticket-2", { _tag: "Close", cause: "x", at }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TicketError)
    expect(error).toMatchObject({ _tag: "TicketError", reason: "not open" })
    const invalid = await client.readStream("").catch((e: unknown) => e)
    expect(invalid).toMatchObject({ _tag: "InvalidStreamId" })
  })

  it("closes", async () => {
    await client.close()
  })
})
