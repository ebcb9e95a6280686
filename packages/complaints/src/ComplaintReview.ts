/**
 * The periodic complaint review: for each period, how many complaints came in (merged
 * duplicates excluded), how many were closed by root cause × channel × category, how many came
 * back (reopened, or a follow-up found the problem not solved), and the satisfaction figures of
 * answered surveys. A reopen annuls the earlier closure, so a case reopened and closed again is
 * counted closed once, in the period of its last closure; unanswered surveys are counted apart
 * and never enter the satisfaction figures.
 */
import { Projection } from "@vouch/core"
import { DateTime, Schema } from "effect"
import * as Complaint from "./Complaint.ts"

/** Survey figures of one period. */
export const SurveyFigures = Schema.Struct({
  answered: Schema.Int,
  satisfactionSum: Schema.Int,
  /** Would-recommend 9–10. */
  promoters: Schema.Int,
  /** Would-recommend 0–6. */
  detractors: Schema.Int,
  unanswered: Schema.Int
})
export type SurveyFigures = typeof SurveyFigures.Type

/** One period of the review. */
export const Period = Schema.Struct({
  received: Schema.Int,
  /** Closed cases by `rootCause|channel|category`. */
  closed: Schema.Record(Schema.String, Schema.Int),
  reopened: Schema.Int,
  /** Follow-ups that found the problem back. */
  notSolved: Schema.Int,
  surveys: SurveyFigures
})
export type Period = typeof Period.Type

/** What the review keeps of each case. */
export const Case = Schema.Struct({
  channel: Schema.String,
  category: Schema.String,
  receivedPeriod: Schema.String,
  closure: Schema.optionalKey(Schema.Struct({ period: Schema.String, key: Schema.String })),
  merged: Schema.Boolean
})
export type Case = typeof Case.Type

/** The review's state. */
export const State = Schema.Struct({
  cases: Schema.Record(Schema.String, Case),
  periods: Schema.Record(Schema.String, Period)
})
export type State = typeof State.Type

/** The key of a closed-cases bucket. */
export const bucket = (rootCause: string, channel: string, category: string): string =>
  `${rootCause}|${channel}|${category}`

/** Calendar months (`2024-03`) at a fixed UTC offset in hours (default +8, China Standard Time). */
export const monthly =
  (offsetHours = 8) =>
  (millis: number): string =>
    new Date(millis + offsetHours * 3_600_000).toISOString().slice(0, 7)

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer U> ? Array<U> : T[K] }
type MutablePeriod = Omit<Mutable<Period>, "closed" | "surveys"> & {
  closed: Record<string, number>
  surveys: Mutable<SurveyFigures>
}
type Draft = { cases: Record<string, Mutable<Case>>; periods: Record<string, MutablePeriod> }

const emptyPeriod = (): MutablePeriod => ({
  received: 0,
  closed: {},
  reopened: 0,
  notSolved: 0,
  surveys: { answered: 0, satisfactionSum: 0, promoters: 0, detractors: 0, unanswered: 0 }
})

/** The review projection; `period` names the period of an instant (default: calendar months in China). */
export const projection = (
  period: (millis: number) => string = monthly()
): Projection.Projection<State, Complaint.Event> =>
  Projection.fromCatalogs([Complaint.events], {
    name: "complaints-review",
    version: 1,
    initial: { cases: {}, periods: {} } as State,
    state: State,
    evolve: (draft, event, recorded) => {
      const state = draft as unknown as Draft
      const id = Complaint.complaintIdOf(recorded.streamId) ?? recorded.streamId
      const at = DateTime.toEpochMillis(event.at)
      const periodOf = (name: string) => (state.periods[name] ??= emptyPeriod())
      const now = period(at)
      if (event._tag === "ComplaintReceived") {
        state.cases[id] = { channel: event.channel, category: event.category, receivedPeriod: now, merged: false }
        periodOf(now).received++
        return
      }
      const c = state.cases[id]
      if (c === undefined) return
      switch (event._tag) {
        case "ComplaintMerged": {
          // A duplicate is not another complaint: it leaves the volume.
          c.merged = true
          periodOf(c.receivedPeriod).received--
          return
        }
        case "ComplaintClosed": {
          const key = bucket(event.rootCause, c.channel, c.category)
          const p = periodOf(now)
          p.closed[key] = (p.closed[key] ?? 0) + 1
          c.closure = { period: now, key }
          return
        }
        case "ComplaintReopened": {
          if (c.closure !== undefined) {
            const p = periodOf(c.closure.period)
            const left = (p.closed[c.closure.key] ?? 1) - 1
            if (left > 0) p.closed[c.closure.key] = left
            else delete p.closed[c.closure.key]
            delete c.closure
          }
          periodOf(now).reopened++
          return
        }
        case "FollowUpRecorded": {
          if (!event.stayedSolved) periodOf(now).notSolved++
          return
        }
        case "SurveyAnswered": {
          const s = periodOf(now).surveys
          s.answered++
          s.satisfactionSum += event.satisfaction
          if (event.recommend >= 9) s.promoters++
          else if (event.recommend <= 6) s.detractors++
          return
        }
        case "SurveyUnanswered": {
          periodOf(now).surveys.unanswered++
          return
        }
        default:
          return
      }
    }
  })

/** Mean satisfaction (1–5) of a period's answered surveys, undefined when none was answered. */
export const meanSatisfaction = (p: Period): number | undefined =>
  p.surveys.answered === 0 ? undefined : p.surveys.satisfactionSum / p.surveys.answered

/** Net promoter score (−100…100) of a period's answered surveys, undefined when none was answered. */
export const netPromoterScore = (p: Period): number | undefined =>
  p.surveys.answered === 0 ? undefined : (100 * (p.surveys.promoters - p.surveys.detractors)) / p.surveys.answered
