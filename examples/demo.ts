/**
 * The Vouch demo: a published commitment letter, a complaint received by phone on a Friday
 * evening in Shanghai, the clocks it starts on the China mainland business calendar, and what
 * the projections say afterwards — every figure folded from events in a real store.
 *
 * By default the events go to the file store under ./.vouch-data/demo (the embedded default,
 * durable, nothing to install; the demo starts from an empty directory each run). Pass
 * `--memory` to use the in-memory store instead, or `--dir <path>` to choose the directory.
 */
import { readFileSync, rmSync } from "node:fs"
import { BusinessCalendar, Commitment, Deadlines, Obligation, Presets, Sweeper, Target } from "@vouch/commitments"
import { CheckpointStore, CommandHandler, EventStore, Projection } from "@vouch/core"
import { FileEventStore } from "@vouch/store-file"
import { MemoryEventStore } from "@vouch/store-memory"
import { DateTime, Effect, Layer, Result, Schema } from "effect"

const useMemory = process.argv.includes("--memory")
const dirFlag = process.argv.indexOf("--dir")
const directory = dirFlag > 0 ? (process.argv[dirFlag + 1] ?? ".vouch-data/demo") : ".vouch-data/demo"

const calendar = Result.getOrThrow(
  BusinessCalendar.fromJson(
    readFileSync(new URL("../packages/commitments/calendars/cn-mainland-2024-2025.json", import.meta.url), "utf8")
  )
)
const calendars = BusinessCalendar.registry(calendar)
const obligations = Obligation.makeAggregate(calendars)

/** Shanghai local time → instant. */
const shanghai = (local: string) => DateTime.makeUnsafe(`${local}+08:00`)
const show = (at: DateTime.DateTime) =>
  DateTime.formatIsoZoned(DateTime.setZoneNamedUnsafe(at, "Asia/Shanghai"))
    .replace(/\[Asia\/Shanghai\]$/, "")
    .slice(0, 16)

/** The commitment letter: the presets, measured in business hours on the Shanghai calendar. */
const letter: ReadonlyArray<Commitment.Definition> = [
  { ...Presets.firstReply, rules: [], fallback: Target.businessHours(24, calendar.id) },
  { ...Presets.solutionProposed, rules: [], fallback: Target.businessHours(48, calendar.id) },
  Presets.majorProblemPlan
]

/** Compliance per commitment, folded from obligation events. */
const compliance = Projection.fromCatalogs([Obligation.events], {
  name: "demo-compliance",
  version: 1,
  initial: {} as Record<string, { started: number; met: number; breached: number }>,
  state: Schema.Record(
    Schema.String,
    Schema.Struct({ started: Schema.Number, met: Schema.Number, breached: Schema.Number })
  ),
  evolve: (state, event, recorded) => {
    const commitment = recorded.streamId.split("-acme/")[1] ?? recorded.streamId
    const row = (state[commitment] ??= { started: 0, met: 0, breached: 0 })
    if (event._tag === "ObligationStarted") row.started++
    if (event._tag === "ObligationMet") row.met++
    if (event._tag === "ObligationBreached") row.breached++
  }
})

const program = Effect.gen(function* () {
  console.log(`Vouch demo — store: ${useMemory ? "in memory" : `files in ${directory}`}\n`)

  // 1. Publish the commitment letter.
  const published = shanghai("2025-01-02T09:00:00")
  yield* CommandHandler.handle(
    Commitment.aggregate,
    "commitment-set-acme",
    Commitment.DraftSet.make({
      setId: "acme",
      name: "ACME service commitment letter",
      noticeDays: 30,
      definitions: letter,
      at: published
    })
  )
  const letterState = yield* CommandHandler.handle(
    Commitment.aggregate,
    "commitment-set-acme",
    Commitment.Publish.make({ at: published })
  )
  console.log(`Published "ACME service commitment letter" (version ${letterState.version} of its stream).`)

  // 2. A complaint arrives by phone on Friday 7 March 2025 at 18:30, after business hours.
  const received = shanghai("2025-03-07T18:30:00")
  const caseId = "C-1001"
  const applicable = Commitment.match(
    letterState.state,
    { channel: "hotline", severity: "normal", tier: "standard" },
    received
  )
  console.log(`\nComplaint ${caseId} received ${show(received)} by phone; ${applicable.length} commitments apply:`)
  const streams: Array<string> = []
  for (const terms of applicable) {
    const streamId = `obligation-${caseId}-${terms.commitmentId}`
    streams.push(streamId)
    const started = yield* CommandHandler.handle(
      obligations,
      streamId,
      Obligation.Start.make({
        obligationId: `${caseId}-${terms.commitmentId}`,
        caseId,
        commitmentId: terms.commitmentId,
        commitmentVersion: terms.commitmentVersion,
        milestone: terms.milestone,
        terms: terms.terms,
        at: received
      })
    )
    const event = started.events[0]
    if (event?._tag === "ObligationStarted") {
      console.log(
        `  ${String(typeof terms.milestone === "string" ? terms.milestone : terms.milestone.name).padEnd(18)} due ${show(event.due)} (calendar ${event.calendar?.id ?? "clock"} v${event.calendar?.version ?? "-"})`
      )
    }
  }
  const [firstReply, solution] = streams as [string, string]

  // 3. Monday: an agent replies at 09:20; the solution waits on the customer from 10:00 to Tuesday 14:00.
  yield* CommandHandler.handle(obligations, firstReply, Obligation.Meet.make({ at: shanghai("2025-03-10T09:20:00") }))
  yield* CommandHandler.handle(
    obligations,
    solution,
    Obligation.Pause.make({ at: shanghai("2025-03-10T10:00:00"), reason: "AwaitingCustomer" })
  )
  const resumed = yield* CommandHandler.handle(
    obligations,
    solution,
    Obligation.Resume.make({ at: shanghai("2025-03-11T14:00:00"), reason: "AwaitingCustomer" })
  )
  const moved = resumed.events.find((e) => e._tag === "ObligationResumed")
  if (moved?._tag === "ObligationResumed" && moved.due !== undefined) {
    console.log(`\nThe customer answered; the solution is now due ${show(moved.due)} (the pause does not count).`)
  }

  // 4. Nobody proposes a solution. The sweeper runs on Thursday 20 March at 12:00.
  const now = shanghai("2025-03-20T12:00:00")
  const report = yield* Sweeper.sweep({ now, calendars })
  console.log(`\nSweeper at ${show(now)}: ${JSON.stringify(report)}`)
  const sweptAgain = yield* Sweeper.sweep({ now, calendars })
  console.log(`Sweeping again at the same instant issues nothing new: ${JSON.stringify(sweptAgain)}`)

  // 5. The record: every event of the solution obligation, and why it was breached.
  console.log(`\nEvents in ${solution}:`)
  for (const recorded of yield* EventStore.readWholeStream(solution)) {
    const event = Result.getOrThrow(Obligation.events.decode(recorded))
    console.log(
      `  v${recorded.streamVersion} ${recorded.eventType.padEnd(34)} ${event.at === undefined ? "" : show(event.at)}`
    )
    if (event._tag === "ObligationBreached") {
      const hours = (ms: number) => (ms / 3_600_000).toFixed(1)
      console.log(
        `     why: ${event.reason}; due ${show(event.due)}, breached at ${show(event.breachedAt)}; ` +
          `${hours(event.businessElapsedMs)} business hours (${hours(event.clockElapsedMs)} clock hours) used of 48`
      )
    }
  }

  // 6. Projections. Compliance runs as a checkpointed runner: its state and position are saved
  //    beside the events, so a restart resumes instead of refolding. The deadline index is live.
  const runner = yield* Projection.start(compliance)
  yield* runner.caughtUp
  console.log(`\nCompliance per commitment:`)
  for (const [commitment, row] of Object.entries(yield* runner.state)) {
    console.log(`  ${commitment.padEnd(20)} started ${row.started}, met ${row.met}, breached ${row.breached}`)
  }
  const saved = yield* CheckpointStore.load(compliance.name)
  if (saved._tag === "Some") console.log(`  (checkpoint saved at global position ${saved.value.position})`)
  const { state: index } = yield* Projection.live(Deadlines.projection(calendars))
  const pending = Object.entries(index).filter(([, entry]) => entry.next !== undefined)
  console.log(
    `Deadlines still ahead on the index: ${pending.map(([id, e]) => `${id} (${e.next?.kind})`).join(", ") || "none"}`
  )
})

const storage = useMemory
  ? MemoryEventStore.layer
  : Layer.unwrap(
      Effect.sync(() => {
        rmSync(directory, { recursive: true, force: true })
        return FileEventStore.layer({ directory })
      })
    )

await Effect.runPromise(Effect.provide(Effect.scoped(program), storage) as Effect.Effect<void>)
