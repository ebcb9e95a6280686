import { Decider } from "@vouch/core"
import { Arbitraries, CommandSequences, DeciderSpec } from "@vouch/testing"
import { DateTime, Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decider, TicketCommand, type TicketEvent } from "./fixtures/Ticket.ts"

const at = DateTime.makeUnsafe("2025-03-07T18:30:00Z")
const spec = DeciderSpec.make(decider)

describe("Decider.fold", () => {
  it("folds without proxies into a deeply frozen state that shares nothing with its start", () => {
    const events: Array<TicketEvent> = [
      { _tag: "Opened", ticketId: "1", owner: "li", at },
      { _tag: "Replied", by: "li", text: "hello", at }
    ]
    const state = Decider.fold(decider, events)
    expect(state).toEqual({ status: "open", owner: "li", replies: ["hello"], closures: 0 })
    expect(Object.isFrozen(state) && Object.isFrozen(state.replies)).toBe(true)
    expect(decider.initialState.replies).toEqual([])
    const more = Decider.fold(decider, [{ _tag: "Replied", by: "li", text: "again", at }], state)
    expect(more.replies).toEqual(["hello", "again"])
    expect(state.replies).toEqual(["hello"])
  })

  it("accepts evolves that return a replacement state", () => {
    const counter = Decider.make<never, { readonly n: number }, number, never>({
      initialState: { n: 0 },
      evolve: (state, event) => (event < 0 ? { n: 0 } : void (state.n += event)),
      decide: () => Result.succeed([])
    })
    expect(Decider.fold(counter, [1, 2, -1, 5, 1])).toEqual({ n: 6 })
    expect(Decider.apply(counter, { n: 3 }, [-1, 2])).toEqual({ n: 2 })
  })

  it("never mutates an input state, and agrees with applying events one draft at a time", () => {
    const event = fc.oneof(
      Arbitraries.instant.map((a): TicketEvent => ({ _tag: "Opened", ticketId: "1", owner: "o", at: a })),
      fc.string().map((text): TicketEvent => ({ _tag: "Replied", by: "x", text, at })),
      fc.constant<TicketEvent>({ _tag: "Closed", cause: "c", at }),
      fc.constant<TicketEvent>({ _tag: "Reopened", at })
    )
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), fc.array(event, { maxLength: 10 }), (first, second) => {
        const start = Decider.fold(decider, first)
        const frozenCopy = JSON.stringify(start)
        const folded = Decider.fold(decider, second, start)
        const applied = Decider.apply(decider, start, second)
        expect(JSON.stringify(start)).toBe(frozenCopy)
        expect(folded).toEqual(applied)
        expect(folded).toEqual(Decider.fold(decider, [...first, ...second]))
      })
    )
  })
})

describe("DeciderSpec on the ticket fixture", () => {
  it("given/when/then: events decided", () => {
    const after = spec
      .given([{ _tag: "Opened", ticketId: "1", owner: "li", at }])
      .when({ _tag: "Close", cause: "fixed", at })
      .thenEvents([{ _tag: "Closed", cause: "fixed", at }])
    expect(after.status).toBe("closed")
  })
  it("given/when/then: typed refusal", () => {
    spec
      .given([])
      .when({ _tag: "Reply", by: "li", text: "hi", at })
      .thenFails({ _tag: "TicketError", reason: "not open" })
  })
  it("fails a then that does not match", () => {
    expect(() => spec.given([]).when({ _tag: "Reply", by: "li", text: "hi", at }).thenEvents([])).toThrow(/refused/)
  })
})

describe("command sequences on the ticket fixture", () => {
  it("keep the state machine consistent: closures only count real closes", () => {
    CommandSequences.check(decider, {
      commands: () => Arbitraries.fromSchema(TicketCommand),
      invariants: [
        ({ after, history }) => expect(after.closures).toBe(history.filter((e) => e._tag === "Closed").length),
        ({ result, before, command }) => {
          if (command._tag === "Open" && before.status !== "none") expect(Result.isFailure(result)).toBe(true)
        }
      ],
      numRuns: 100
    })
  })
  it("report a broken invariant with the sequence that breaks it", () => {
    expect(() =>
      CommandSequences.check(decider, {
        commands: () => Arbitraries.fromSchema(TicketCommand),
        invariants: [({ after }) => expect(after.status).not.toBe("closed")],
        numRuns: 200,
        shrink: false
      })
    ).toThrow(/Property failed/)
  })
})
