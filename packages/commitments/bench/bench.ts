/**
 * Commitments benchmarks: calendar throughput (due-date computations per second for a
 * 24-business-hour target on the China mainland calendar, with its holidays and make-up days)
 * and the sweeper over 100,000 open obligations in the memory store.
 */
import { readFileSync } from "node:fs"
import { BusinessCalendar, Deadlines, Obligation, Sweeper, Target } from "@vouch/commitments"
import { EventStore, ExpectedVersion, Projection } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { DateTime, Effect, Result } from "effect"
import { main } from "../../../bench/harness.ts"

const cn = Result.getOrThrow(
  BusinessCalendar.fromJson(
    readFileSync(new URL("../calendars/cn-mainland-2024-2025.json", import.meta.url), "utf8")
  ) as Result.Result<BusinessCalendar.BusinessCalendar, unknown>
)
const calendars = BusinessCalendar.registry(cn)
const H = 3_600_000
const from = Date.parse("2024-01-01T00:00:00Z")
const span = Date.parse("2025-12-01T00:00:00Z") - from

/** Deterministic pseudo-random starts spread over 2024–2025. */
const starts = (count: number): Float64Array => {
  const out = new Float64Array(count)
  let seed = 42
  for (let i = 0; i < count; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    out[i] = from + Math.floor((seed / 2_147_483_648) * span)
  }
  return out
}

const dueDates = async () => {
  const count = 2_000_000
  const input = starts(count)
  const compiled = BusinessCalendar.compileAt(cn, Date.parse("2025-01-01T00:00:00Z"))
  // Warm the per-day cache and the JIT; the cache is part of the design, so it stays warm.
  let sink = 0
  for (let i = 0; i < 100_000; i++) sink += compiled.add(input[i] as number, 24 * H)
  const begin = performance.now()
  for (let i = 0; i < count; i++) sink += compiled.add(input[i] as number, 24 * H)
  const ms = performance.now() - begin
  // The DateTime-level API (version lookup, DateTime in and out) for comparison.
  const apiCount = 200_000
  const apiStarts = Array.from(input.subarray(0, apiCount), (t) => DateTime.makeUnsafe(t))
  const apiBegin = performance.now()
  for (const start of apiStarts) sink += DateTime.toEpochMillis(BusinessCalendar.addBusinessTime(cn, start, 24 * H).due)
  const apiMs = performance.now() - apiBegin
  return {
    events: count,
    ms,
    extra: { "DateTime API per s": (apiCount / apiMs) * 1000, checksum: sink % 1000 }
  }
}

const sweeper = async () => {
  const count = 100_000
  const decider = Obligation.makeDecider(calendars)
  const startTimes = starts(count)
  const program = Effect.gen(function* () {
    const store = yield* EventStore.EventStore
    for (let i = 0; i < count; i++) {
      const command = Obligation.Start.make({
        obligationId: `o${i}`,
        caseId: `c${i}`,
        commitmentId: "acme/first-reply",
        commitmentVersion: 1,
        milestone: "FirstReply",
        terms: {
          target: Target.businessHours(24, "cn-mainland"),
          warnings: [50, 75, 90],
          pauseStates: [],
          reopen: "NewCycle",
          retarget: "KeepStart"
        },
        at: DateTime.makeUnsafe(startTimes[i] as number)
      })
      const events = Result.getOrThrow(
        decider.decide(command, decider.initialState) as Result.Result<ReadonlyArray<Obligation.Event>, never>
      )
      const envelopes = events.map((event) =>
        Result.getOrThrow(Obligation.events.encode(event, { streamId: `obligation-o${i}` }))
      )
      yield* store.append(`obligation-o${i}`, ExpectedVersion.noStream, envelopes)
    }
    // "Now" in the middle of the range: obligations started in the preceding days have warnings or breaches due.
    const now = DateTime.makeUnsafe(from + span / 2)
    const begin = performance.now()
    const { state } = yield* Projection.live(Deadlines.projection(calendars))
    const projected = performance.now()
    const report = yield* Sweeper.sweep({ now, calendars, deadlines: state, concurrency: 32 })
    const end = performance.now()
    return { begin, projected, end, report }
  })
  const { begin, projected, end, report } = await Effect.runPromise(
    Effect.provide(program, MemoryEventStore.layer) as Effect.Effect<{
      begin: number
      projected: number
      end: number
      report: Sweeper.Report
    }>
  )
  return {
    events: count,
    ms: end - begin,
    extra: {
      "projection ms": projected - begin,
      "sweep ms": end - projected,
      "obligations due": report.examined,
      "commands issued": report.issued
    }
  }
}

await main("commitments", new URL(import.meta.url).pathname, [
  { name: "calendar: due date, 24 business hours, cn-mainland (computations)", run: dueDates },
  { name: "sweeper: 100,000 open obligations (projection + sweep)", run: sweeper }
])
