/**
 * The deadline projection: for every open obligation, the next instant at which time itself will
 * do something to it: the next warning threshold, or the breach after the due instant. Paused,
 * breached and finished obligations have no next deadline. The sweeper reads this index to find
 * what is due; because it is an ordinary core projection, it runs live or as a checkpointed
 * runner and is rebuilt from the log after a restart.
 *
 * Warning instants depend on the calendar, so the projection is built over the same calendar
 * registry as the obligation decider.
 */
import { Projection } from "@vouch/core"
import { DateTime, Result, Schema } from "effect"
import type * as BusinessCalendar from "./BusinessCalendar.ts"
import * as Obligation from "./Obligation.ts"
import * as Target from "./Target.ts"

/** What comes next for an obligation. */
export const Next = Schema.Struct({
  kind: Schema.Literals(["Warning", "Breach"]),
  threshold: Schema.optionalKey(Schema.Finite),
  /** For a warning: the instant it is reached. For a breach: the due instant (breached once past it). */
  at: Schema.Finite
})
export type Next = typeof Next.Type

/** One open obligation's clock, as the index keeps it (instants in epoch millis). */
export const Entry = Schema.Struct({
  obligationId: Schema.String,
  cycle: Schema.Int,
  calendarId: Schema.optionalKey(Schema.String),
  calendarVersion: Schema.optionalKey(Schema.Int),
  thresholds: Schema.Array(Schema.Finite),
  fired: Schema.Array(Schema.Finite),
  running: Schema.Boolean,
  runningSince: Schema.Finite,
  consumed: Schema.Finite,
  budget: Schema.Finite,
  due: Schema.Finite,
  breached: Schema.Boolean,
  next: Schema.optionalKey(Next)
})
export type Entry = typeof Entry.Type

/** Open obligations by stream id. */
export const State = Schema.Record(Schema.String, Entry)
export type State = typeof State.Type

type MutableEntry = { -readonly [K in keyof Entry]: Entry[K] extends ReadonlyArray<infer U> ? Array<U> : Entry[K] }

const ms = (at: DateTime.DateTime): number => DateTime.toEpochMillis(at)

/** The next deadline of an entry, computed on its pinned calendar version. */
export const nextOf = (entry: Entry, calendars: BusinessCalendar.Registry): Next | undefined => {
  if (!entry.running || entry.breached) return undefined
  const clock = Target.clockFor(entry.calendarId, 0, calendars, entry.calendarVersion)
  if (Result.isFailure(clock)) return { kind: "Breach", at: entry.due }
  const pending = entry.thresholds.filter((t) => !entry.fired.includes(t)).sort((a, b) => a - b)
  for (const threshold of pending) {
    const needed = (entry.budget * threshold) / 100 - entry.consumed
    const at = needed <= 0 ? entry.runningSince : clock.success.add(entry.runningSince, needed)
    if (at <= entry.due) return { kind: "Warning", threshold, at }
  }
  return { kind: "Breach", at: entry.due }
}

/** Whether the next deadline has come at `now`: a warning at its instant, a breach strictly after due. */
export const isDue = (next: Next, now: number): boolean => (next.kind === "Warning" ? next.at <= now : next.at < now)

/** The deadline projection over a calendar registry. */
export const projection = (calendars: BusinessCalendar.Registry): Projection.Projection<State, Obligation.Event> =>
  Projection.fromCatalogs([Obligation.events], {
    name: "commitments-deadlines",
    version: 1,
    initial: {} as State,
    state: State,
    evolve: (draft, event, recorded) => {
      const state = draft as Record<string, MutableEntry>
      const key = recorded.streamId
      const entry = state[key]
      const refresh = (e: MutableEntry) => {
        const next = nextOf(e, calendars)
        if (next === undefined) delete e.next
        else e.next = next
      }
      switch (event._tag) {
        case "ObligationStarted": {
          const fresh: MutableEntry = {
            obligationId: event.obligationId,
            cycle: 1,
            thresholds: [...event.terms.warnings],
            fired: [],
            running: true,
            runningSince: ms(event.at),
            consumed: 0,
            budget: event.budgetMs,
            due: ms(event.due),
            breached: false
          }
          if (event.calendar !== undefined) {
            fresh.calendarId = event.calendar.id
            fresh.calendarVersion = event.calendar.version
          }
          refresh(fresh)
          state[key] = fresh
          return
        }
        case "CycleStarted": {
          if (entry === undefined) return
          entry.cycle = event.cycle
          entry.fired = []
          entry.running = true
          entry.runningSince = ms(event.at)
          entry.consumed = event.carriedMs
          entry.budget = event.budgetMs
          entry.due = ms(event.due)
          entry.breached = false
          refresh(entry)
          return
        }
        case "ObligationMet":
        case "ObligationFulfilledLate":
        case "ObligationCancelled":
          // Kept (without a next deadline) so that a later cycle can start again.
          if (entry === undefined) return
          entry.running = false
          delete entry.next
          return
        case "CompensationGranted":
          return
      }
      if (entry === undefined) return
      switch (event._tag) {
        case "ObligationPaused":
          if (entry.running) {
            entry.running = false
            entry.consumed = event.consumedMs
          }
          break
        case "ObligationResumed":
          if (event.due !== undefined) {
            entry.running = true
            entry.runningSince = ms(event.at)
            entry.due = ms(event.due)
          }
          break
        case "WarningReached":
          entry.fired.push(event.threshold)
          break
        case "ObligationBreached":
          entry.breached = true
          break
        case "ObligationRetargeted":
          entry.budget = event.budgetMs
          entry.consumed = event.consumedMs
          entry.due = ms(event.due)
          if (event.policy === "Restart") entry.fired = []
          if (entry.running) entry.runningSince = ms(event.at)
          if (event.calendar === undefined) {
            delete entry.calendarId
            delete entry.calendarVersion
          } else {
            entry.calendarId = event.calendar.id
            entry.calendarVersion = event.calendar.version
          }
          break
      }
      refresh(entry)
    }
  })

/** Entries whose next deadline has come at `now`, soonest first. */
export const dueAt = (state: State, now: DateTime.DateTime): ReadonlyArray<readonly [string, Entry]> => {
  const t = ms(now)
  const out: Array<readonly [string, Entry]> = []
  for (const key in state) {
    const entry = state[key] as Entry
    if (entry.next !== undefined && isDue(entry.next, t)) out.push([key, entry])
  }
  return out.sort((a, b) => (a[1].next?.at ?? 0) - (b[1].next?.at ?? 0))
}
