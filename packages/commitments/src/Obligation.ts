/**
 * An obligation is one commitment applied to one case: a clock with its own stream. It starts
 * with a snapshot of the terms it was promised under (target, warning thresholds, compensation
 * rule, reopen and priority-change policies) and pins the calendar version its deadline was
 * computed with, so amendments to the commitment or the calendar never change a running case.
 *
 * The clock measures business time on that calendar (or clock time for calendar-duration
 * targets). Its budget is the business time from start to due; pausing stops consumption and
 * resuming moves the due instant by exactly the business time spent paused. Warnings and
 * breaches are caused by the passage of time: the sweeper sends `ReachWarning` and `Breach` with
 * "now", and decide checks that the instant has really come. Duplicates of those commands
 * decide nothing (no events), so two sweepers or a repeated sweep are harmless.
 *
 * Lifecycle of a cycle: Running ⇄ Paused → Met (on time) | FulfilledLate (after a breach);
 * a new cycle starts for a next reply or a reopen; Cancelled ends the obligation (a merged
 * duplicate): it is excluded from compliance, neither met nor breached.
 */
import { Aggregate, Decider, EventCatalog } from "@vouch/core"
import { DateTime, Result, Schema } from "effect"
import type * as BusinessCalendar from "./BusinessCalendar.ts"
import * as Compensation from "./Compensation.ts"
import * as Target from "./Target.ts"

// ---------------------------------------------------------------------------------------------
// Terms
// ---------------------------------------------------------------------------------------------

/** What is measured: the milestone that meets the obligation. */
export const Milestone = Schema.Union([
  Schema.Literals([
    "FirstReply",
    "NextReply",
    "SolutionProposed",
    "Resolution",
    "MajorProblemPlan",
    "RepairCompleted",
    "ReturnProcessed",
    "FeedbackReply"
  ]),
  Schema.TaggedStruct("CustomMilestone", { name: Schema.String.check(Schema.isMinLength(1)) })
])
export type Milestone = typeof Milestone.Type

/** How a reopened case is treated: a new cycle with a fresh clock, the old clock continued, or not at all. */
export const ReopenPolicy = Schema.Literals(["NewCycle", "Accumulate", "Ignore"])
export type ReopenPolicy = typeof ReopenPolicy.Type

/** How a mid-flight change of target (e.g. priority) is treated: measured from the original start, or restarted. */
export const RetargetPolicy = Schema.Literals(["KeepStart", "Restart"])
export type RetargetPolicy = typeof RetargetPolicy.Type

/** The terms an obligation runs under: a snapshot of one commitment rule. */
export const Terms = Schema.Struct({
  target: Target.Target,
  /** Warning thresholds in percent of the target, e.g. [50, 75, 90]. */
  warnings: Schema.Array(Schema.Finite.check(Schema.isBetween({ minimum: 1, maximum: 99 }))),
  /** Case states that pause the clock (advisory for the case aggregate, which sends Pause/Resume). */
  pauseStates: Schema.Array(Schema.String),
  compensation: Schema.optionalKey(Compensation.Rule),
  reopen: ReopenPolicy,
  retarget: RetargetPolicy
})
export type Terms = typeof Terms.Type

/** The calendar version a deadline was computed with; absent for clock-time targets. */
export const CalendarRef = Schema.Struct({ id: Schema.String, version: Schema.Int })
export type CalendarRef = typeof CalendarRef.Type

const Instant = Schema.DateTimeUtcFromString
const Millis = Schema.Finite

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** The obligation started: terms snapshot, pinned versions and the first due instant. */
export const ObligationStarted = Schema.TaggedStruct("ObligationStarted", {
  obligationId: Schema.String,
  caseId: Schema.String,
  commitmentId: Schema.String,
  commitmentVersion: Schema.Int,
  milestone: Milestone,
  terms: Terms,
  calendar: Schema.optionalKey(CalendarRef),
  at: Instant,
  budgetMs: Millis,
  due: Instant
})

/** The clock stopped (or another pause reason was added while stopped). */
export const ObligationPaused = Schema.TaggedStruct("ObligationPaused", {
  cycle: Schema.Int,
  at: Instant,
  reason: Schema.String,
  /** Business time consumed in this cycle when the clock stopped. */
  consumedMs: Millis
})

/** A pause reason ended; when it was the last one the clock runs again and `due` is the new due instant. */
export const ObligationResumed = Schema.TaggedStruct("ObligationResumed", {
  cycle: Schema.Int,
  at: Instant,
  reason: Schema.String,
  due: Schema.optionalKey(Instant)
})

/** A warning threshold was crossed at `reachedAt` (detected at `at`). */
export const WarningReached = Schema.TaggedStruct("WarningReached", {
  cycle: Schema.Int,
  threshold: Schema.Finite,
  reachedAt: Instant,
  at: Instant
})

/** The milestone happened in time. */
export const ObligationMet = Schema.TaggedStruct("ObligationMet", {
  cycle: Schema.Int,
  at: Instant,
  due: Instant,
  businessElapsedMs: Millis,
  clockElapsedMs: Millis
})

/** The promise was broken: at the due instant, or at the moment a change made the target already exceeded. */
export const ObligationBreached = Schema.TaggedStruct("ObligationBreached", {
  cycle: Schema.Int,
  breachedAt: Instant,
  /** When the breach was detected and recorded. */
  at: Instant,
  due: Instant,
  reason: Schema.Literals(["DeadlinePassed", "TargetChanged", "ReopenedExceeded"]),
  businessElapsedMs: Millis,
  clockElapsedMs: Millis
})

/** The milestone happened after a breach. */
export const ObligationFulfilledLate = Schema.TaggedStruct("ObligationFulfilledLate", {
  cycle: Schema.Int,
  at: Instant,
  due: Instant,
  businessElapsedMs: Millis,
  clockElapsedMs: Millis,
  /** Lateness past the due instant, in business time on the obligation's clock. */
  businessLatenessMs: Millis,
  clockLatenessMs: Millis
})

/** The target changed mid-flight (e.g. priority). */
export const ObligationRetargeted = Schema.TaggedStruct("ObligationRetargeted", {
  cycle: Schema.Int,
  at: Instant,
  reason: Schema.String,
  target: Target.Target,
  policy: RetargetPolicy,
  calendar: Schema.optionalKey(CalendarRef),
  budgetMs: Millis,
  consumedMs: Millis,
  /** The new due instant (while paused: the due instant if the clock ran again at `at`). */
  due: Instant
})

/** A new cycle: a next reply is owed, or the case was reopened. */
export const CycleStarted = Schema.TaggedStruct("CycleStarted", {
  cycle: Schema.Int,
  at: Instant,
  reason: Schema.Literals(["NextReply", "Reopened"]),
  /** Business time carried over from the previous cycle (reopen under "Accumulate"). */
  carriedMs: Millis,
  budgetMs: Millis,
  due: Instant
})

/** The obligation no longer applies (e.g. a merged duplicate): excluded from compliance. */
export const ObligationCancelled = Schema.TaggedStruct("ObligationCancelled", {
  at: Instant,
  reason: Schema.String
})

/** The customer was compensated for the breach of `cycle`. */
export const CompensationGranted = Schema.TaggedStruct("CompensationGranted", {
  cycle: Schema.Int,
  at: Instant,
  tier: Schema.Int,
  latenessMs: Millis,
  unit: Schema.Literals(["business", "calendar"]),
  award: Compensation.Award
})

/** Every obligation event. */
export const Event = Schema.Union([
  ObligationStarted,
  ObligationPaused,
  ObligationResumed,
  WarningReached,
  ObligationMet,
  ObligationBreached,
  ObligationFulfilledLate,
  ObligationRetargeted,
  CycleStarted,
  ObligationCancelled,
  CompensationGranted
])
export type Event = typeof Event.Type

/** The event catalog: type names `obligations/<Tag>`. */
export const events: EventCatalog.EventCatalog<Event> = EventCatalog.make("obligations", Event)

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** Start measuring: the caller (case aggregate) has matched a commitment and passes its terms. */
export const Start = Schema.TaggedStruct("Start", {
  obligationId: Schema.String,
  caseId: Schema.String,
  commitmentId: Schema.String,
  commitmentVersion: Schema.Int,
  milestone: Milestone,
  terms: Terms,
  at: Instant
})
/** Stop the clock for a reason (a case state such as "AwaitingCustomer", or "force-majeure:<id>"). */
export const Pause = Schema.TaggedStruct("Pause", { at: Instant, reason: Schema.String })
/** End one pause reason. */
export const Resume = Schema.TaggedStruct("Resume", { at: Instant, reason: Schema.String })
/** Sent by the sweeper when a threshold's instant has come. */
export const ReachWarning = Schema.TaggedStruct("ReachWarning", { at: Instant, threshold: Schema.Finite })
/** Sent by the sweeper when the due instant has passed. */
export const Breach = Schema.TaggedStruct("Breach", { at: Instant })
/** The measured milestone happened. */
export const Meet = Schema.TaggedStruct("Meet", { at: Instant })
/** Change the target mid-flight (policy from the terms). */
export const Retarget = Schema.TaggedStruct("Retarget", { at: Instant, target: Target.Target, reason: Schema.String })
/** Start a new cycle: a next reply is owed, or the case was reopened (policy from the terms). */
export const StartCycle = Schema.TaggedStruct("StartCycle", {
  at: Instant,
  reason: Schema.Literals(["NextReply", "Reopened"])
})
/** Take the obligation out of compliance (e.g. the case was merged into another). */
export const Cancel = Schema.TaggedStruct("Cancel", { at: Instant, reason: Schema.String })
/** Grant the compensation the terms' tiers give for the current cycle's breach. */
export const GrantCompensation = Schema.TaggedStruct("GrantCompensation", { at: Instant })

/** Every obligation command. */
export const Command = Schema.Union([
  Start,
  Pause,
  Resume,
  ReachWarning,
  Breach,
  Meet,
  Retarget,
  StartCycle,
  Cancel,
  GrantCompensation
])
export type Command = typeof Command.Type

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** The obligation was already started. */
export class AlreadyStarted extends Schema.TaggedError<AlreadyStarted>()("AlreadyStarted", {
  obligationId: Schema.String
}) {}

/** The obligation has not been started. */
export class NotStarted extends Schema.TaggedError<NotStarted>()("NotStarted", {}) {}

/** The command needs a running or paused cycle, but the obligation is in `status`. */
export class NotOpen extends Schema.TaggedError<NotOpen>()("NotOpen", { status: Schema.String }) {}

/** The warning or breach instant has not come yet (or the clock is paused). */
export class NotDue extends Schema.TaggedError<NotDue>()("NotDue", {
  kind: Schema.String,
  at: Schema.String,
  dueAt: Schema.optionalKey(Schema.String)
}) {}

/** A warning threshold that is not among the terms. */
export class UnknownThreshold extends Schema.TaggedError<UnknownThreshold>()("UnknownThreshold", {
  threshold: Schema.Number
}) {}

/** Resume for a reason that is not pausing the clock. */
export class NotPausedFor extends Schema.TaggedError<NotPausedFor>()("NotPausedFor", { reason: Schema.String }) {}

/** A new cycle was asked for while the current one is still open. */
export class CycleStillOpen extends Schema.TaggedError<CycleStillOpen>()("CycleStillOpen", {
  cycle: Schema.Int
}) {}

/** Compensation was asked for a cycle that was not breached, already compensated, or has no rule. */
export class NoCompensationDue extends Schema.TaggedError<NoCompensationDue>()("NoCompensationDue", {
  cycle: Schema.Int,
  reason: Schema.String
}) {}

/** Every refusal. */
export type Error =
  | AlreadyStarted
  | NotStarted
  | NotOpen
  | NotDue
  | UnknownThreshold
  | NotPausedFor
  | CycleStillOpen
  | NoCompensationDue
  | Target.CalendarNotFound

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/** Where the current cycle stands. */
export type Status = "NotStarted" | "Running" | "Paused" | "Met" | "FulfilledLate" | "Cancelled"

/** The current cycle's clock; instants are epoch milliseconds. */
export interface Cycle {
  readonly number: number
  readonly startedAt: number
  /** Business time the target gives, measured on the clock. */
  readonly budget: number
  /** Business time consumed up to `runningSince` (or up to the pause, while paused). */
  readonly consumed: number
  /** When the clock last started running; undefined while paused or finished. */
  readonly runningSince: number | undefined
  /** The due instant while running; the last computed one otherwise. */
  readonly due: number
  readonly pausedFor: ReadonlyArray<string>
  readonly pausedSince: number | undefined
  /** Clock time spent paused in this cycle. */
  readonly pausedClockMs: number
  readonly warned: ReadonlyArray<number>
  readonly breach: { readonly at: number; readonly due: number; readonly reason: string } | undefined
  readonly finishedAt: number | undefined
  readonly lateness: { readonly business: number; readonly clock: number } | undefined
  readonly compensated: boolean
}

/** A finished cycle, kept for reporting. */
export interface CycleSummary {
  readonly number: number
  readonly outcome: "Met" | "FulfilledLate" | "Open"
  readonly breached: boolean
  readonly compensated: boolean
}

/** An obligation's state. */
export interface State {
  readonly status: Status
  readonly obligationId: string
  readonly caseId: string
  readonly commitmentId: string
  readonly commitmentVersion: number
  readonly milestone: Milestone | undefined
  readonly terms: Terms | undefined
  readonly calendar: CalendarRef | undefined
  readonly cycle: Cycle | undefined
  readonly pastCycles: ReadonlyArray<CycleSummary>
}

/** Before the obligation starts. */
export const initialState: State = {
  status: "NotStarted",
  obligationId: "",
  caseId: "",
  commitmentId: "",
  commitmentVersion: 0,
  milestone: undefined,
  terms: undefined,
  calendar: undefined,
  cycle: undefined,
  pastCycles: []
}

const ms = (at: DateTime.DateTime): number => DateTime.toEpochMillis(at)
const utc = (millis: number): DateTime.Utc => DateTime.makeUnsafe(millis)

const freshCycle = (number: number, startedAt: number, budget: number, consumed: number, due: number): Cycle => ({
  number,
  startedAt,
  budget,
  consumed,
  runningSince: startedAt,
  due,
  pausedFor: [],
  pausedSince: undefined,
  pausedClockMs: 0,
  warned: [],
  breach: undefined,
  finishedAt: undefined,
  lateness: undefined,
  compensated: false
})

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer U> ? Array<U> : T[K] }
type Draft = Mutable<Omit<State, "cycle">> & { cycle: Mutable<Cycle> | undefined }

const summary = (state: Draft): CycleSummary | undefined => {
  const cycle = state.cycle
  if (cycle === undefined) return undefined
  return {
    number: cycle.number,
    outcome: state.status === "Met" || state.status === "FulfilledLate" ? state.status : "Open",
    breached: cycle.breach !== undefined,
    compensated: cycle.compensated
  }
}

/** Applies one event. Events carry every computed figure, so evolve needs no calendar. */
export const evolve = (draft: unknown, event: Event): void => {
  const state = draft as Draft
  const cycle = state.cycle
  switch (event._tag) {
    case "ObligationStarted": {
      state.status = "Running"
      state.obligationId = event.obligationId
      state.caseId = event.caseId
      state.commitmentId = event.commitmentId
      state.commitmentVersion = event.commitmentVersion
      state.milestone = event.milestone
      state.terms = event.terms
      state.calendar = event.calendar
      state.cycle = freshCycle(1, ms(event.at), event.budgetMs, 0, ms(event.due)) as Mutable<Cycle>
      return
    }
    case "ObligationPaused": {
      if (cycle === undefined) return
      if (cycle.pausedFor.length === 0) {
        cycle.consumed = event.consumedMs
        cycle.runningSince = undefined
        cycle.pausedSince = ms(event.at)
        state.status = "Paused"
      }
      cycle.pausedFor.push(event.reason)
      return
    }
    case "ObligationResumed": {
      if (cycle === undefined) return
      cycle.pausedFor = cycle.pausedFor.filter((r) => r !== event.reason)
      if (cycle.pausedFor.length === 0) {
        const at = ms(event.at)
        cycle.runningSince = at
        cycle.pausedClockMs += at - (cycle.pausedSince ?? at)
        cycle.pausedSince = undefined
        if (event.due !== undefined) cycle.due = ms(event.due)
        state.status = "Running"
      }
      return
    }
    case "WarningReached": {
      cycle?.warned.push(event.threshold)
      return
    }
    case "ObligationMet": {
      if (cycle === undefined) return
      cycle.consumed = event.businessElapsedMs
      cycle.runningSince = undefined
      cycle.finishedAt = ms(event.at)
      state.status = "Met"
      return
    }
    case "ObligationBreached": {
      if (cycle === undefined) return
      cycle.breach = { at: ms(event.breachedAt), due: ms(event.due), reason: event.reason }
      return
    }
    case "ObligationFulfilledLate": {
      if (cycle === undefined) return
      cycle.consumed = event.businessElapsedMs
      cycle.runningSince = undefined
      cycle.finishedAt = ms(event.at)
      cycle.lateness = { business: event.businessLatenessMs, clock: event.clockLatenessMs }
      state.status = "FulfilledLate"
      return
    }
    case "ObligationRetargeted": {
      if (cycle === undefined || state.terms === undefined) return
      state.terms = { ...state.terms, target: event.target }
      state.calendar = event.calendar
      cycle.budget = event.budgetMs
      cycle.consumed = event.consumedMs
      if (event.policy === "Restart") {
        cycle.startedAt = ms(event.at)
        cycle.warned = []
      }
      if (cycle.runningSince !== undefined) cycle.runningSince = ms(event.at)
      cycle.due = ms(event.due)
      return
    }
    case "CycleStarted": {
      const past = summary(state)
      if (past !== undefined) state.pastCycles.push(past)
      state.cycle = freshCycle(
        event.cycle,
        ms(event.at),
        event.budgetMs,
        event.carriedMs,
        ms(event.due)
      ) as Mutable<Cycle>
      state.status = "Running"
      return
    }
    case "ObligationCancelled": {
      if (cycle !== undefined) cycle.runningSince = undefined
      state.status = "Cancelled"
      return
    }
    case "CompensationGranted": {
      if (cycle !== undefined && cycle.number === event.cycle) cycle.compensated = true
      else {
        const past = state.pastCycles.find((c) => c.number === event.cycle)
        if (past !== undefined) (past as Mutable<CycleSummary>).compensated = true
      }
      return
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the clock
// ---------------------------------------------------------------------------------------------

/** Business time consumed in the current cycle at `at` (stops while paused or finished). */
export const consumedAt = (cycle: Cycle, clock: BusinessCalendar.Compiled, at: number): number =>
  cycle.runningSince === undefined
    ? cycle.consumed
    : cycle.consumed + Math.max(0, clock.between(cycle.runningSince, Math.max(at, cycle.runningSince)))

/** The instant a threshold (percent) is crossed, if the clock runs on; undefined while not running. */
export const thresholdInstant = (
  cycle: Cycle,
  clock: BusinessCalendar.Compiled,
  percent: number
): number | undefined => {
  if (cycle.runningSince === undefined) return undefined
  const needed = (cycle.budget * percent) / 100 - cycle.consumed
  return needed <= 0 ? cycle.runningSince : clock.add(cycle.runningSince, needed)
}

/** Elapsed time of the current cycle at `at`, in business time (on the obligation's clock) and clock time. */
export interface Elapsed {
  readonly businessMs: number
  readonly clockMs: number
}

const elapsedOf = (cycle: Cycle, clock: BusinessCalendar.Compiled, at: number): Elapsed => ({
  businessMs: consumedAt(cycle, clock, at),
  clockMs: (cycle.finishedAt ?? at) - cycle.startedAt
})

/** The clock an obligation's state is measured on. */
export const clockOf = (
  state: State,
  calendars: BusinessCalendar.Registry
): Result.Result<BusinessCalendar.Compiled, Target.CalendarNotFound> =>
  Target.clockFor(state.calendar?.id, 0, calendars, state.calendar?.version)

/** Elapsed business and clock time of the current cycle at `at`. */
export const elapsed = (
  state: State,
  calendars: BusinessCalendar.Registry,
  at: DateTime.DateTime
): Result.Result<Elapsed, Target.CalendarNotFound | NotStarted> => {
  const cycle = state.cycle
  if (cycle === undefined) return Result.fail(new NotStarted())
  return Result.map(clockOf(state, calendars), (clock) => elapsedOf(cycle, clock, ms(at)))
}

// ---------------------------------------------------------------------------------------------
// Decide
// ---------------------------------------------------------------------------------------------

const ok = (events: ReadonlyArray<Event>): Result.Result<ReadonlyArray<Event>, Error> => Result.succeed(events)
const none = ok([])
const refuse = (error: Error): Result.Result<ReadonlyArray<Event>, Error> => Result.fail(error)

const calendarRef = (clock: BusinessCalendar.Compiled): CalendarRef | undefined =>
  clock.version === 0 ? undefined : { id: clock.calendarId, version: clock.version }

/** A breach event for a due instant that has passed, detected at `at`. */
const breachEvent = (
  cycle: Cycle,
  clock: BusinessCalendar.Compiled,
  breachedAt: number,
  at: number,
  reason: (typeof ObligationBreached.Type)["reason"]
): Event =>
  ObligationBreached.make({
    cycle: cycle.number,
    breachedAt: utc(breachedAt),
    at: utc(at),
    due: utc(cycle.due),
    reason,
    businessElapsedMs: consumedAt(cycle, clock, breachedAt),
    clockElapsedMs: breachedAt - cycle.startedAt - cycle.pausedClockMs
  })

/** A breach that time has already caused but nobody recorded yet (the sweeper had not run). */
const overdueBreach = (cycle: Cycle, clock: BusinessCalendar.Compiled, at: number): ReadonlyArray<Event> =>
  cycle.breach === undefined && cycle.runningSince !== undefined && at > cycle.due
    ? [breachEvent(cycle, clock, cycle.due, at, "DeadlinePassed")]
    : []

/** The rules, closed over the calendars that targets name. */
export const makeDecider = (calendars: BusinessCalendar.Registry): Decider.Decider<Command, State, Event, Error> =>
  Decider.make<Command, State, Event, Error>({
    initialState,
    evolve: evolve as Decider.Decider<Command, State, Event, Error>["evolve"],
    decide: (command, state) => {
      if (command._tag === "Start") {
        if (state.status !== "NotStarted") return refuse(new AlreadyStarted({ obligationId: state.obligationId }))
        const at = ms(command.at)
        const resolved = Target.resolve(command.terms.target, at, calendars)
        if (Result.isFailure(resolved)) return refuse(resolved.failure)
        const { clock, budget, due } = resolved.success
        const calendar = calendarRef(clock)
        return ok([
          ObligationStarted.make({
            obligationId: command.obligationId,
            caseId: command.caseId,
            commitmentId: command.commitmentId,
            commitmentVersion: command.commitmentVersion,
            milestone: command.milestone,
            terms: command.terms,
            ...(calendar === undefined ? {} : { calendar }),
            at: command.at,
            budgetMs: budget,
            due: utc(due)
          })
        ])
      }
      const cycle = state.cycle
      const terms = state.terms
      if (state.status === "NotStarted" || cycle === undefined || terms === undefined) return refuse(new NotStarted())
      const clockResult = clockOf(state, calendars)
      if (Result.isFailure(clockResult)) return refuse(clockResult.failure)
      const clock = clockResult.success
      const at = ms(command.at)
      const open = state.status === "Running" || state.status === "Paused"

      switch (command._tag) {
        case "Pause": {
          if (!open) return refuse(new NotOpen({ status: state.status }))
          if (cycle.pausedFor.includes(command.reason)) return none
          const overdue = overdueBreach(cycle, clock, at)
          const pausedAt = cycle.runningSince === undefined ? at : Math.max(at, cycle.runningSince)
          return ok([
            ...overdue,
            ObligationPaused.make({
              cycle: cycle.number,
              at: utc(pausedAt),
              reason: command.reason,
              consumedMs: consumedAt(cycle, clock, pausedAt)
            })
          ])
        }
        case "Resume": {
          if (!open) return refuse(new NotOpen({ status: state.status }))
          if (!cycle.pausedFor.includes(command.reason)) return refuse(new NotPausedFor({ reason: command.reason }))
          const last = cycle.pausedFor.length === 1
          const resumeAt = Math.max(at, cycle.pausedSince ?? at)
          // The due instant moves by exactly the business time spent paused: remaining budget from now.
          const due = last ? clock.add(resumeAt, Math.max(0, cycle.budget - cycle.consumed)) : undefined
          return ok([
            ObligationResumed.make({
              cycle: cycle.number,
              at: utc(resumeAt),
              reason: command.reason,
              ...(due === undefined ? {} : { due: utc(due) })
            })
          ])
        }
        case "ReachWarning": {
          if (!terms.warnings.includes(command.threshold)) {
            return refuse(new UnknownThreshold({ threshold: command.threshold }))
          }
          // Duplicates and warnings for a target already exceeded decide nothing.
          if (cycle.warned.includes(command.threshold) || cycle.breach !== undefined) return none
          if (!open) return none
          if (cycle.runningSince === undefined) {
            return refuse(new NotDue({ kind: `warning ${command.threshold}%`, at: DateTime.formatIso(command.at) }))
          }
          if (at > cycle.due) return none
          const reachedAt = thresholdInstant(cycle, clock, command.threshold) as number
          if (at < reachedAt) {
            return refuse(
              new NotDue({
                kind: `warning ${command.threshold}%`,
                at: DateTime.formatIso(command.at),
                dueAt: new Date(reachedAt).toISOString()
              })
            )
          }
          return ok([
            WarningReached.make({
              cycle: cycle.number,
              threshold: command.threshold,
              reachedAt: utc(reachedAt),
              at: command.at
            })
          ])
        }
        case "Breach": {
          if (cycle.breach !== undefined || !open) return none
          if (cycle.runningSince === undefined || at <= cycle.due) {
            return refuse(
              new NotDue({
                kind: "breach",
                at: DateTime.formatIso(command.at),
                dueAt: new Date(cycle.due).toISOString()
              })
            )
          }
          return ok([breachEvent(cycle, clock, cycle.due, at, "DeadlinePassed")])
        }
        case "Meet": {
          if (!open) return refuse(new NotOpen({ status: state.status }))
          const overdue = overdueBreach(cycle, clock, at)
          const business = consumedAt(cycle, clock, at)
          const clockElapsed =
            at - cycle.startedAt - cycle.pausedClockMs - (cycle.pausedSince === undefined ? 0 : at - cycle.pausedSince)
          if (cycle.breach === undefined && overdue.length === 0) {
            return ok([
              ObligationMet.make({
                cycle: cycle.number,
                at: command.at,
                due: utc(cycle.due),
                businessElapsedMs: business,
                clockElapsedMs: clockElapsed
              })
            ])
          }
          const due = cycle.breach?.due ?? cycle.due
          return ok([
            ...overdue,
            ObligationFulfilledLate.make({
              cycle: cycle.number,
              at: command.at,
              due: utc(due),
              businessElapsedMs: business,
              clockElapsedMs: clockElapsed,
              businessLatenessMs: Math.max(0, clock.between(due, at)),
              clockLatenessMs: Math.max(0, at - due)
            })
          ])
        }
        case "Retarget": {
          if (!open) return refuse(new NotOpen({ status: state.status }))
          const overdue = overdueBreach(cycle, clock, at)
          const restart = terms.retarget === "Restart"
          const from = restart ? at : cycle.startedAt
          const resolved = Target.resolve(command.target, from, calendars)
          if (Result.isFailure(resolved)) return refuse(resolved.failure)
          const next = resolved.success
          const consumed = restart ? 0 : consumedAt(cycle, clock, at)
          const remaining = next.budget - consumed
          // While paused this is the due instant if the clock ran again right now; resuming later
          // only moves it later.
          const due = remaining > 0 ? next.clock.add(at, remaining) : at
          const calendar = calendarRef(next.clock)
          const retargeted = ObligationRetargeted.make({
            cycle: cycle.number,
            at: command.at,
            reason: command.reason,
            target: command.target,
            policy: terms.retarget,
            ...(calendar === undefined ? {} : { calendar }),
            budgetMs: next.budget,
            consumedMs: consumed,
            due: utc(due)
          })
          // A new target that is already exceeded is breached now, at the moment of the change.
          const exceeded = overdue.length === 0 && cycle.breach === undefined && remaining <= 0
          const after = { ...cycle, due, consumed, budget: next.budget, runningSince: undefined }
          return ok([
            ...overdue,
            retargeted,
            ...(exceeded ? [breachEvent(after, next.clock, at, at, "TargetChanged")] : [])
          ])
        }
        case "StartCycle": {
          if (state.status === "Cancelled") return refuse(new NotOpen({ status: state.status }))
          if (open) return refuse(new CycleStillOpen({ cycle: cycle.number }))
          const policy = command.reason === "NextReply" ? "NewCycle" : terms.reopen
          if (policy === "Ignore") return none
          const carried = policy === "Accumulate" ? cycle.consumed : 0
          const resolved = Target.resolve(terms.target, at, calendars, state.calendar?.version)
          if (Result.isFailure(resolved)) return refuse(resolved.failure)
          const { clock: cycleClock, budget } = resolved.success
          const remaining = budget - carried
          const due = remaining > 0 ? cycleClock.add(at, remaining) : at
          const started = CycleStarted.make({
            cycle: cycle.number + 1,
            at: command.at,
            reason: command.reason,
            carriedMs: carried,
            budgetMs: budget,
            due: utc(due)
          })
          if (remaining > 0) return ok([started])
          const reopened = freshCycle(cycle.number + 1, at, budget, carried, due)
          return ok([started, breachEvent(reopened, cycleClock, at, at, "ReopenedExceeded")])
        }
        case "Cancel": {
          if (state.status === "Cancelled") return none
          return ok([ObligationCancelled.make({ at: command.at, reason: command.reason })])
        }
        case "GrantCompensation": {
          const rule = terms.compensation
          if (cycle.breach === undefined) {
            return refuse(new NoCompensationDue({ cycle: cycle.number, reason: "the cycle was not breached" }))
          }
          if (cycle.compensated) {
            return refuse(new NoCompensationDue({ cycle: cycle.number, reason: "already compensated" }))
          }
          if (rule === undefined) {
            return refuse(new NoCompensationDue({ cycle: cycle.number, reason: "the terms have no compensation rule" }))
          }
          const end = cycle.finishedAt ?? at
          const lateness =
            cycle.lateness !== undefined
              ? rule.unit === "business"
                ? cycle.lateness.business
                : cycle.lateness.clock
              : rule.unit === "business"
                ? Math.max(0, clock.between(cycle.breach.due, end))
                : Math.max(0, end - cycle.breach.due)
          const tier = Compensation.tierFor(rule, lateness)
          if (tier === undefined) {
            return refuse(new NoCompensationDue({ cycle: cycle.number, reason: "no tier applies to this lateness" }))
          }
          return ok([
            CompensationGranted.make({
              cycle: cycle.number,
              at: command.at,
              tier: tier.index,
              latenessMs: lateness,
              unit: rule.unit,
              award: tier.tier.award
            })
          ])
        }
      }
    }
  })

/** The decider with no business calendars: only clock-time targets resolve. */
export const decider: Decider.Decider<Command, State, Event, Error> = makeDecider(new Map())

/** The obligation aggregate over the given calendars; streams are `obligation-<id>`. */
export const makeAggregate = (
  calendars: BusinessCalendar.Registry
): Aggregate.Aggregate<Command, State, Event, Error> =>
  Aggregate.make({ category: "obligation", decider: makeDecider(calendars), events })
