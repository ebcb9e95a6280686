import { Aggregate, CommandHandler, EventStore, Projection } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { DateTime, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Deadlines, Obligation, Sweeper } from "../src/index.ts"
import { at, calendars, start } from "./fixtures.ts"

const aggregate = Obligation.makeAggregate(calendars)
const run = <A, E>(effect: Effect.Effect<A, E, EventStore.EventStore>) =>
  Effect.runPromise(Effect.provide(effect, MemoryEventStore.layer) as Effect.Effect<A, E>)

const startMany = (count: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => i),
    (i) =>
      CommandHandler.handle(aggregate, `obligation-o${i}`, {
        ...start("2024-03-08T11:00:00Z"),
        obligationId: `o${i}`,
        caseId: `case-${i}`
      }),
    { discard: true }
  )

const eventsOf = (streamId: string) =>
  Effect.flatMap(EventStore.readWholeStream(streamId), (recorded) =>
    Effect.fromResult(Aggregate.decodeAll(Obligation.events, recorded))
  )

describe("Deadlines projection", () => {
  it("indexes the next warning, drops paused and finished obligations", () =>
    run(
      Effect.gen(function* () {
        yield* startMany(3)
        yield* CommandHandler.handle(
          aggregate,
          "obligation-o1",
          Obligation.Pause.make({ at: at("2024-03-11T02:00:00Z"), reason: "AwaitingCustomer" })
        )
        yield* CommandHandler.handle(
          aggregate,
          "obligation-o2",
          Obligation.Meet.make({ at: at("2024-03-11T02:00:00Z") })
        )
        const { state } = yield* Projection.live(Deadlines.projection(calendars))
        expect(state["obligation-o0"]?.next).toEqual({
          kind: "Warning",
          threshold: 50,
          at: Date.parse("2024-03-12T07:00:00Z")
        })
        expect(state["obligation-o1"]?.next).toBeUndefined()
        expect(state["obligation-o2"]?.next).toBeUndefined()
        expect(Deadlines.dueAt(state, at("2024-03-12T07:00:00Z")).map(([k]) => k)).toEqual(["obligation-o0"])
      })
    ))
})

describe("Sweeper", () => {
  it("issues exactly the commands that are due, and nothing when run again", () =>
    run(
      Effect.gen(function* () {
        yield* startMany(5)
        // 75 % (18 h) is Wed 11:00 local, 90 % (21.6 h) Wed 17:06 local; sweep at Wed 17:10 local.
        const now = at("2024-03-13T09:10:00Z")
        const first = yield* Sweeper.sweep({ now, calendars })
        expect(first).toEqual({ examined: 5, issued: 15, duplicates: 0, skipped: 0 })
        const again = yield* Sweeper.sweep({ now, calendars })
        expect(again).toEqual({ examined: 0, issued: 0, duplicates: 0, skipped: 0 })
        const events = yield* eventsOf("obligation-o3")
        expect(events.map((e) => (e._tag === "WarningReached" ? e.threshold : e._tag))).toEqual([
          "ObligationStarted",
          50,
          75,
          90
        ])
        // After the due instant only the breach is sent, once.
        const later = yield* Sweeper.sweep({ now: at("2024-03-14T03:00:00Z"), calendars })
        expect(later).toMatchObject({ examined: 5, issued: 5 })
        const breached = yield* eventsOf("obligation-o3")
        expect(breached[breached.length - 1]).toMatchObject({ _tag: "ObligationBreached", reason: "DeadlinePassed" })
      })
    ))

  it("replaying a sweep over a stale index appends nothing (command ids)", () =>
    run(
      Effect.gen(function* () {
        yield* startMany(3)
        const now = at("2024-03-14T03:00:00Z")
        const { state } = yield* Projection.live(Deadlines.projection(calendars))
        const first = yield* Sweeper.sweep({ now, calendars, deadlines: state })
        const replay = yield* Sweeper.sweep({ now, calendars, deadlines: state })
        expect(first).toMatchObject({ issued: 3 })
        expect(replay).toMatchObject({ issued: 0, duplicates: 3 })
      })
    ))

  it("two sweepers at once record each breach once; a warning never follows a breach", () =>
    run(
      Effect.gen(function* () {
        yield* startMany(20)
        const sweepAt = (iso: string) => Sweeper.sweep({ now: at(iso), calendars, concurrency: 4 })
        const [a, b] = yield* Effect.all([sweepAt("2024-03-14T03:00:00Z"), sweepAt("2024-03-14T03:00:01Z")], {
          concurrency: 2
        })
        expect(a.issued + b.issued).toBe(20)
        for (let i = 0; i < 20; i++) {
          const events = yield* eventsOf(`obligation-o${i}`)
          expect(events.filter((e) => e._tag === "ObligationBreached")).toHaveLength(1)
          expect(events.some((e) => e._tag === "WarningReached")).toBe(false)
        }
      })
    ))

  it("a pause after the index was read is not overridden: the stale command is skipped", () =>
    run(
      Effect.gen(function* () {
        yield* startMany(1)
        const { state } = yield* Projection.live(Deadlines.projection(calendars))
        yield* CommandHandler.handle(
          aggregate,
          "obligation-o0",
          Obligation.Pause.make({ at: at("2024-03-12T06:00:00Z"), reason: "AwaitingCustomer" })
        )
        const report = yield* Sweeper.sweep({ now: at("2024-03-12T08:00:00Z"), calendars, deadlines: state })
        expect(report).toMatchObject({ issued: 0, skipped: 1 })
        const now = DateTime.makeUnsafe("2024-03-20T00:00:00Z")
        expect(yield* Sweeper.sweep({ now, calendars })).toMatchObject({ examined: 0 })
      })
    ))
})
