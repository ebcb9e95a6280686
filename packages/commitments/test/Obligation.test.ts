import { Decider } from "@vouch/core"
import { CommandSequences, DeciderSpec } from "@vouch/testing"
import { DateTime, Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Obligation, Target } from "../src/index.ts"
import { at, calendars, H, start } from "./fixtures.ts"

const decider = Obligation.makeDecider(calendars)
const spec = DeciderSpec.make(decider)
const iso = (d: DateTime.DateTime) => DateTime.formatIso(d)

/** Events of an obligation received Friday 2024-03-08 19:00 Shanghai (closed). */
const friday = (overrides: Partial<Obligation.Terms> = {}) => {
  const result = decider.decide(start("2024-03-08T11:00:00Z", overrides), decider.initialState)
  return Result.getOrThrow(result)
}

const after = (events: ReadonlyArray<Obligation.Event>, ...commands: ReadonlyArray<Obligation.Command>) => {
  const all = [...events]
  for (const command of commands) {
    all.push(
      ...Result.getOrThrow(
        decider.decide(command, Decider.fold(decider, all)) as Result.Result<ReadonlyArray<Obligation.Event>, unknown>
      )
    )
  }
  return all
}

describe("Obligation: start", () => {
  it("a Friday-evening receipt is due Thursday 10:30 and records the calendar version", () => {
    const [started] = friday()
    expect(started).toMatchObject({
      _tag: "ObligationStarted",
      calendar: { id: "cn-mainland", version: 1 },
      budgetMs: 24 * H
    })
    expect(iso((started as typeof Obligation.ObligationStarted.Type).due)).toBe("2024-03-14T02:30:00.000Z")
  })

  it("a clock-time target is plain arithmetic and records no calendar", () => {
    const events = Result.getOrThrow(
      decider.decide(start("2024-03-08T11:00:00Z", { target: Target.hours(24) }), decider.initialState)
    )
    expect(events[0]).not.toHaveProperty("calendar")
    expect(iso((events[0] as typeof Obligation.ObligationStarted.Type).due)).toBe("2024-03-09T11:00:00.000Z")
  })

  it("refuses a second start and an unknown calendar", () => {
    spec.given(friday()).when(start("2024-03-08T11:00:00Z")).thenFails({ _tag: "AlreadyStarted" })
    spec
      .given([])
      .when(start("2024-03-08T11:00:00Z", { target: Target.businessHours(1, "nowhere") }))
      .thenFails({ _tag: "CalendarNotFound", calendar: "nowhere" })
  })
})

describe("Obligation: pause and resume", () => {
  it("the due instant moves by the business time spent paused", () => {
    // Paused Mon 10:00 local (1 h consumed), resumed Tue 10:00 local: 7.5 business hours paused.
    const events = after(
      friday(),
      Obligation.Pause.make({ at: at("2024-03-11T02:00:00Z"), reason: "AwaitingCustomer" })
    )
    expect(events[1]).toMatchObject({ _tag: "ObligationPaused", consumedMs: 1 * H })
    const resumed = spec
      .given(events)
      .when(Obligation.Resume.make({ at: at("2024-03-12T02:00:00Z"), reason: "AwaitingCustomer" }))
    const [event] = Result.getOrThrow(resumed.result)
    // Thursday 10:30 + 7.5 business hours = Friday 10:30 local.
    expect(iso((event as typeof Obligation.ObligationResumed.Type).due!)).toBe("2024-03-15T02:30:00.000Z")
  })

  it("two reasons: the clock runs only when both ended", () => {
    const events = after(
      friday(),
      Obligation.Pause.make({ at: at("2024-03-11T02:00:00Z"), reason: "AwaitingCustomer" }),
      Obligation.Pause.make({ at: at("2024-03-11T03:00:00Z"), reason: "force-majeure:typhoon" }),
      Obligation.Resume.make({ at: at("2024-03-11T04:00:00Z"), reason: "AwaitingCustomer" })
    )
    const state = Decider.fold(decider, events)
    expect(state.status).toBe("Paused")
    expect(events[3]).not.toHaveProperty("due")
    spec
      .given(events)
      .when(Obligation.Resume.make({ at: at("2024-03-11T05:00:00Z"), reason: "AwaitingCustomer" }))
      .thenFails({ _tag: "NotPausedFor" })
  })

  it("a paused obligation reaches no warning and no breach", () => {
    const events = after(
      friday(),
      Obligation.Pause.make({ at: at("2024-03-11T02:00:00Z"), reason: "AwaitingCustomer" })
    )
    spec
      .given(events)
      .when(Obligation.ReachWarning.make({ at: at("2024-03-20T02:00:00Z"), threshold: 50 }))
      .thenFails({ _tag: "NotDue" })
    spec
      .given(events)
      .when(Obligation.Breach.make({ at: at("2024-03-20T02:00:00Z") }))
      .thenFails({ _tag: "NotDue" })
  })
})

describe("Obligation: warnings and breaches come from the passage of time", () => {
  it("the 50 % warning is reached Tuesday 15:00 local, at most once", () => {
    spec
      .given(friday())
      .when(Obligation.ReachWarning.make({ at: at("2024-03-12T06:59:00Z"), threshold: 50 }))
      .thenFails({ _tag: "NotDue" })
    const events = after(friday(), Obligation.ReachWarning.make({ at: at("2024-03-12T07:05:00Z"), threshold: 50 }))
    expect(events[1]).toMatchObject({ _tag: "WarningReached", threshold: 50 })
    expect(iso((events[1] as typeof Obligation.WarningReached.Type).reachedAt)).toBe("2024-03-12T07:00:00.000Z")
    spec
      .given(events)
      .when(Obligation.ReachWarning.make({ at: at("2024-03-12T08:00:00Z"), threshold: 50 }))
      .thenEvents([])
  })

  it("refuses a threshold that is not in the terms", () => {
    spec
      .given(friday())
      .when(Obligation.ReachWarning.make({ at: at("2024-03-12T08:00:00Z"), threshold: 60 }))
      .thenFails({ _tag: "UnknownThreshold" })
  })

  it("breached at the due instant, once; no retroactive warning after it", () => {
    spec
      .given(friday())
      .when(Obligation.Breach.make({ at: at("2024-03-14T02:30:00Z") }))
      .thenFails({ _tag: "NotDue" })
    const events = after(friday(), Obligation.Breach.make({ at: at("2024-03-14T05:00:00Z") }))
    expect(events[1]).toMatchObject({ _tag: "ObligationBreached", reason: "DeadlinePassed", businessElapsedMs: 24 * H })
    expect(iso((events[1] as typeof Obligation.ObligationBreached.Type).breachedAt)).toBe("2024-03-14T02:30:00.000Z")
    spec
      .given(events)
      .when(Obligation.Breach.make({ at: at("2024-03-14T06:00:00Z") }))
      .thenEvents([])
    spec
      .given(events)
      .when(Obligation.ReachWarning.make({ at: at("2024-03-14T06:00:00Z"), threshold: 90 }))
      .thenEvents([])
    // Also before the breach is recorded: a target already exceeded gets no warning.
    spec
      .given(friday())
      .when(Obligation.ReachWarning.make({ at: at("2024-03-14T06:00:00Z"), threshold: 90 }))
      .thenEvents([])
  })
})

describe("Obligation: met, late, cancelled", () => {
  it("met in time reports business and clock time", () => {
    const out = spec.given(friday()).when(Obligation.Meet.make({ at: at("2024-03-11T03:00:00Z") }))
    const [met] = Result.getOrThrow(out.result)
    expect(met).toMatchObject({ _tag: "ObligationMet", businessElapsedMs: 2 * H, clockElapsedMs: 64 * H })
  })

  it("met after the due instant with no sweep yet: breached at the due instant, then fulfilled late", () => {
    const [breached, late] = Result.getOrThrow(
      spec.given(friday()).when(Obligation.Meet.make({ at: at("2024-03-14T04:00:00Z") })).result
    )
    expect(breached).toMatchObject({ _tag: "ObligationBreached" })
    expect(iso((breached as typeof Obligation.ObligationBreached.Type).breachedAt)).toBe("2024-03-14T02:30:00.000Z")
    expect(late).toMatchObject({
      _tag: "ObligationFulfilledLate",
      businessLatenessMs: 1.5 * H,
      clockLatenessMs: 1.5 * H
    })
  })

  it("a cancelled obligation (merged duplicate) is neither met nor breached", () => {
    const events = after(
      friday(),
      Obligation.Cancel.make({ at: at("2024-03-11T02:00:00Z"), reason: "merged into case-2" })
    )
    spec
      .given(events)
      .when(Obligation.Breach.make({ at: at("2024-03-20T00:00:00Z") }))
      .thenEvents([])
    spec
      .given(events)
      .when(Obligation.Meet.make({ at: at("2024-03-20T00:00:00Z") }))
      .thenFails({ _tag: "NotOpen" })
  })
})

describe("Obligation: re-target", () => {
  it("keep the original start: a shorter target moves the due instant earlier", () => {
    // Priority raised Monday 11:00 local (2 h consumed) to 4 business hours: due Monday 14:30 local.
    const out = spec.given(friday()).when(
      Obligation.Retarget.make({
        at: at("2024-03-11T03:00:00Z"),
        target: Target.businessHours(4, "cn-mainland"),
        reason: "priority P1"
      })
    )
    const [event] = Result.getOrThrow(out.result)
    expect(event).toMatchObject({
      _tag: "ObligationRetargeted",
      consumedMs: 2 * H,
      budgetMs: 4 * H,
      policy: "KeepStart"
    })
    expect(iso((event as typeof Obligation.ObligationRetargeted.Type).due!)).toBe("2024-03-11T06:30:00.000Z")
  })

  it("a target already exceeded by the change is breached at the moment of the change, not back-dated", () => {
    const change = at("2024-03-11T07:00:00Z") // Monday 15:00 local: 4.5 h consumed
    const [retargeted, breached] = Result.getOrThrow(
      spec
        .given(friday())
        .when(Obligation.Retarget.make({ at: change, target: Target.businessHours(2, "cn-mainland"), reason: "P1" }))
        .result
    )
    expect(retargeted?._tag).toBe("ObligationRetargeted")
    expect(breached).toMatchObject({ _tag: "ObligationBreached", reason: "TargetChanged" })
    expect(iso((breached as typeof Obligation.ObligationBreached.Type).breachedAt)).toBe(iso(change))
  })

  it("restart: the new target counts from the change", () => {
    const [event] = Result.getOrThrow(
      spec.given(friday({ retarget: "Restart" })).when(
        Obligation.Retarget.make({
          at: at("2024-03-11T07:00:00Z"),
          target: Target.businessHours(2, "cn-mainland"),
          reason: "P1"
        })
      ).result
    )
    expect(event).toMatchObject({ consumedMs: 0, budgetMs: 2 * H, policy: "Restart" })
    expect(iso((event as typeof Obligation.ObligationRetargeted.Type).due!)).toBe("2024-03-11T09:00:00.000Z")
  })
})

describe("Obligation: reopen and next reply", () => {
  const met = (reopen: Obligation.ReopenPolicy) =>
    after(friday({ reopen }), Obligation.Meet.make({ at: at("2024-03-11T07:00:00Z") })) // 4.5 h consumed
  const reopen = Obligation.StartCycle.make({ at: at("2024-03-12T02:00:00Z"), reason: "Reopened" })

  it("new cycle: a fresh 24-hour clock", () => {
    const [event] = Result.getOrThrow(spec.given(met("NewCycle")).when(reopen).result)
    expect(event).toMatchObject({ _tag: "CycleStarted", cycle: 2, carriedMs: 0, budgetMs: 24 * H })
  })

  it("accumulate: the original clock continues with what it had used", () => {
    const [event] = Result.getOrThrow(spec.given(met("Accumulate")).when(reopen).result)
    expect(event).toMatchObject({ _tag: "CycleStarted", cycle: 2, carriedMs: 4.5 * H })
    // Tue 10:00 local + 19.5 business hours: Tue 6.5, Wed 7.5 → Thu 5.5 h: 09:00–12:00, 13:30–16:00.
    expect(iso((event as typeof Obligation.CycleStarted.Type).due)).toBe("2024-03-14T08:00:00.000Z")
  })

  it("ignore: a reopen starts nothing", () => {
    spec.given(met("Ignore")).when(reopen).thenEvents([])
  })

  it("a next reply always starts a new cycle, but not while one is open", () => {
    spec
      .given(friday())
      .when(Obligation.StartCycle.make({ at: at("2024-03-12T02:00:00Z"), reason: "NextReply" }))
      .thenFails({ _tag: "CycleStillOpen" })
    const [event] = Result.getOrThrow(
      spec
        .given(met("Ignore"))
        .when(Obligation.StartCycle.make({ at: at("2024-03-12T02:00:00Z"), reason: "NextReply" })).result
    )
    expect(event).toMatchObject({ cycle: 2, reason: "NextReply" })
  })
})

describe("Obligation: compensation", () => {
  it("the tier follows lateness; granted once per breach", () => {
    // Due Thu 2024-03-14 10:30 local; met Fri 2024-03-15 14:30 local: 28 h late in clock time → tier 1.
    const events = after(
      friday(),
      Obligation.Breach.make({ at: at("2024-03-14T03:00:00Z") }),
      Obligation.Meet.make({ at: at("2024-03-15T06:30:00Z") })
    )
    const [granted] = Result.getOrThrow(
      spec.given(events).when(Obligation.GrantCompensation.make({ at: at("2024-03-15T07:00:00Z") })).result
    )
    expect(granted).toMatchObject({
      _tag: "CompensationGranted",
      tier: 1,
      latenessMs: 28 * H,
      award: { _tag: "Amount", minorUnits: 20_000, currency: "CNY" }
    })
    spec
      .given([...events, granted as Obligation.Event])
      .when(Obligation.GrantCompensation.make({ at: at("2024-03-15T08:00:00Z") }))
      .thenFails({ _tag: "NoCompensationDue", reason: "already compensated" })
  })

  it("refuses compensation without a breach", () => {
    spec
      .given(friday())
      .when(Obligation.GrantCompensation.make({ at: at("2024-03-11T02:00:00Z") }))
      .thenFails({ _tag: "NoCompensationDue" })
  })
})

describe("Obligation under random command sequences", () => {
  const base = Date.parse("2024-03-04T01:00:00Z")
  const lastAt = (history: ReadonlyArray<Obligation.Event>): number => {
    let last = base
    for (const e of history) {
      const t = DateTime.toEpochMillis(e.at)
      if (t > last) last = t
    }
    return last
  }
  const reasons = fc.constantFrom("AwaitingCustomer", "force-majeure:storm")

  it("never met and breached in one cycle; at most one breach and one compensation per cycle; pauses never pull due earlier", () => {
    CommandSequences.check(decider, {
      numRuns: 150,
      maxCommands: 30,
      commands: (state, history) => {
        const when = fc.integer({ min: 0, max: 30 * H }).map((d) => DateTime.makeUnsafe(lastAt(history) + d))
        if (state.status === "NotStarted") {
          return fc
            .tuple(
              fc.constantFrom<Obligation.ReopenPolicy>("NewCycle", "Accumulate", "Ignore"),
              fc.constantFrom<Obligation.RetargetPolicy>("KeepStart", "Restart"),
              fc.integer({ min: 1, max: 40 }),
              fc.boolean()
            )
            .map(([reopen, retarget, hours, business]) =>
              start(new Date(base).toISOString(), {
                reopen,
                retarget,
                target: business ? Target.businessHours(hours, "cn-mainland") : Target.hours(hours)
              })
            )
        }
        return fc.oneof(
          fc.tuple(when, reasons).map(([t, reason]) => Obligation.Pause.make({ at: t, reason })),
          fc.tuple(when, reasons).map(([t, reason]) => Obligation.Resume.make({ at: t, reason })),
          fc
            .tuple(when, fc.constantFrom(50, 75, 90))
            .map(([t, threshold]) => Obligation.ReachWarning.make({ at: t, threshold })),
          when.map((t) => Obligation.Breach.make({ at: t })),
          when.map((t) => Obligation.Meet.make({ at: t })),
          fc
            .tuple(when, fc.integer({ min: 1, max: 40 }))
            .map(([t, h]) =>
              Obligation.Retarget.make({ at: t, target: Target.businessHours(h, "cn-mainland"), reason: "priority" })
            ),
          fc
            .tuple(when, fc.constantFrom<"NextReply" | "Reopened">("NextReply", "Reopened"))
            .map(([t, reason]) => Obligation.StartCycle.make({ at: t, reason })),
          when.map((t) => Obligation.GrantCompensation.make({ at: t })),
          fc.constant(null).chain(() => when.map((t) => Obligation.Cancel.make({ at: t, reason: "merged" })))
        )
      },
      invariants: [
        ({ history }) => {
          const perCycle = new Map<number, { met: number; breached: number; compensated: number; late: number }>()
          let cycle = 1
          for (const e of history) {
            if (e._tag === "CycleStarted") cycle = e.cycle
            const c = "cycle" in e ? e.cycle : cycle
            const entry = perCycle.get(c) ?? { met: 0, breached: 0, compensated: 0, late: 0 }
            if (e._tag === "ObligationMet") entry.met++
            if (e._tag === "ObligationBreached") entry.breached++
            if (e._tag === "CompensationGranted") entry.compensated++
            if (e._tag === "ObligationFulfilledLate") entry.late++
            perCycle.set(c, entry)
          }
          for (const entry of perCycle.values()) {
            expect(entry.met > 0 && entry.breached > 0).toBe(false)
            expect(entry.breached).toBeLessThanOrEqual(1)
            expect(entry.compensated).toBeLessThanOrEqual(entry.breached)
            expect(entry.met + entry.late).toBeLessThanOrEqual(1)
          }
        },
        ({ command, before, after }) => {
          // Resuming never moves the due instant earlier than it was when the clock stopped.
          if (command._tag !== "Resume" || before.cycle === undefined || after.cycle === undefined) return
          if (after.status !== "Running" || before.status !== "Paused") return
          expect(after.cycle.due).toBeGreaterThanOrEqual(before.cycle.due)
        }
      ]
    })
  })
})
