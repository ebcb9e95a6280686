/**
 * The case board: one row per complaint with its status, owner, assignee and next deadline, the
 * read model an agent's screen and a supervisor's "open cases per owner" view start from. It
 * folds complaint events and the obligation events of the same cases, so the next deadline is
 * the earliest due instant among the case's running, unbreached obligations (paused, met and
 * cancelled ones have none) and the number of breached ones is shown beside it.
 */
import { Obligation } from "@vouch/commitments"
import { Projection } from "@vouch/core"
import { DateTime, Schema } from "effect"
import * as Complaint from "./Complaint.ts"

/** The next deadline of a case. */
export const Deadline = Schema.Struct({
  obligation: Schema.String,
  milestone: Schema.String,
  /** Epoch millis. */
  due: Schema.Finite
})
export type Deadline = typeof Deadline.Type

/** One row of the board. */
export const Row = Schema.Struct({
  complaintId: Schema.String,
  status: Schema.String,
  owner: Schema.String,
  assignee: Schema.String,
  customer: Schema.String,
  channel: Schema.String,
  category: Schema.String,
  severity: Schema.optionalKey(Schema.String),
  priority: Schema.optionalKey(Schema.String),
  receivedAt: Schema.Finite,
  nextDeadline: Schema.optionalKey(Deadline),
  breached: Schema.Int,
  /** Obligation stream ids of the case. */
  obligations: Schema.Array(Schema.String)
})
export type Row = typeof Row.Type

/** One obligation's clock as the board needs it. */
export const Clock = Schema.Struct({
  caseId: Schema.String,
  milestone: Schema.String,
  due: Schema.Finite,
  running: Schema.Boolean,
  breached: Schema.Boolean
})
export type Clock = typeof Clock.Type

/** The board's state: rows by complaint id, clocks by obligation stream id. */
export const State = Schema.Struct({
  cases: Schema.Record(Schema.String, Row),
  clocks: Schema.Record(Schema.String, Clock)
})
export type State = typeof State.Type

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer U> ? Array<U> : T[K] }
type Draft = { cases: Record<string, Mutable<Row>>; clocks: Record<string, Mutable<Clock>> }

const ms = (at: DateTime.DateTime): number => DateTime.toEpochMillis(at)
const milestoneName = (m: Obligation.Milestone): string => (typeof m === "string" ? m : m.name)

const statusAfter: Partial<Record<Complaint.Event["_tag"], string>> = {
  ComplaintReceived: "Open",
  CustomerInputRequested: "AwaitingCustomer",
  SolutionProposed: "SolutionProposed",
  SolutionAccepted: "SolutionAccepted",
  SolutionRejected: "Open",
  ComplaintResolved: "Resolved",
  ComplaintClosed: "Closed",
  ComplaintReopened: "Open",
  ComplaintMerged: "Merged"
}

const refresh = (state: Draft, row: Mutable<Row>) => {
  let next: Deadline | undefined
  let breached = 0
  for (const key of row.obligations) {
    const clock = state.clocks[key]
    if (clock === undefined) continue
    if (clock.breached) breached++
    if (clock.running && !clock.breached && (next === undefined || clock.due < next.due)) {
      next = { obligation: key, milestone: clock.milestone, due: clock.due }
    }
  }
  row.breached = breached
  if (next === undefined) delete row.nextDeadline
  else row.nextDeadline = next
}

type Input = Complaint.Event | Obligation.Event

/** The case-board projection. */
export const projection: Projection.Projection<State, Input> = Projection.fromCatalogs(
  [Complaint.events, Obligation.events],
  {
    name: "complaints-case-board",
    version: 1,
    initial: { cases: {}, clocks: {} },
    state: State,
    evolve: (draft, event, recorded) => {
      const state = draft as unknown as Draft
      if (Complaint.events.owns(recorded.eventType)) {
        const e = event as Complaint.Event
        const id = Complaint.complaintIdOf(recorded.streamId) ?? recorded.streamId
        if (e._tag === "ComplaintReceived") {
          state.cases[id] = {
            complaintId: e.complaintId,
            status: "Open",
            owner: e.actor,
            assignee: e.actor,
            customer: e.customer,
            channel: e.channel,
            category: e.category,
            receivedAt: ms(e.at),
            breached: 0,
            obligations: []
          }
          return
        }
        const row = state.cases[id]
        if (row === undefined) return
        const status = statusAfter[e._tag]
        if (status !== undefined) row.status = status
        switch (e._tag) {
          case "CustomerResponded":
            row.status = "Open"
            break
          case "ComplaintAssessed":
            row.severity = e.severity
            row.priority = e.priority
            break
          case "ComplaintAssigned":
            row.assignee = e.assignee
            break
          case "ComplaintEscalated":
            row.assignee = e.to
            break
          case "ComplaintReferred":
            row.assignee = e.organisation
            break
          case "OwnershipTransferred":
            row.owner = e.to
            break
          case "DuplicateAbsorbed":
            row.receivedAt = ms(e.receivedAt)
            break
        }
        return
      }
      const e = event as Obligation.Event
      const key = recorded.streamId
      if (e._tag === "ObligationStarted") {
        state.clocks[key] = {
          caseId: e.caseId,
          milestone: milestoneName(e.milestone),
          due: ms(e.due),
          running: true,
          breached: false
        }
        const row = state.cases[e.caseId]
        if (row !== undefined && !row.obligations.includes(key)) row.obligations.push(key)
        if (row !== undefined) refresh(state, row)
        return
      }
      const clock = state.clocks[key]
      if (clock === undefined) return
      switch (e._tag) {
        case "ObligationPaused":
          clock.running = false
          break
        case "ObligationResumed":
          if (e.due !== undefined) {
            clock.running = true
            clock.due = ms(e.due)
          }
          break
        case "ObligationBreached":
          clock.breached = true
          break
        case "ObligationMet":
        case "ObligationFulfilledLate":
          clock.running = false
          clock.breached = false
          break
        case "ObligationCancelled":
          clock.running = false
          clock.breached = false
          break
        case "ObligationRetargeted":
          clock.due = ms(e.due)
          break
        case "CycleStarted":
          clock.running = true
          clock.breached = false
          clock.due = ms(e.due)
          break
        default:
          return
      }
      const row = state.cases[clock.caseId]
      if (row !== undefined) refresh(state, row)
    }
  }
)

const openStatuses = new Set(["Open", "AwaitingCustomer", "SolutionProposed", "SolutionAccepted", "Resolved"])

/** Whether a row is still being handled (not closed or merged). */
export const isOpen = (row: Row): boolean => openStatuses.has(row.status)

/** Open cases by owner, each owner's soonest deadline first. */
export const openByOwner = (state: State): Readonly<Record<string, ReadonlyArray<Row>>> => {
  const out: Record<string, Array<Row>> = {}
  for (const row of Object.values(state.cases)) {
    if (!isOpen(row)) continue
    ;(out[row.owner] ??= []).push(row)
  }
  for (const rows of Object.values(out)) {
    rows.sort((a, b) => (a.nextDeadline?.due ?? Infinity) - (b.nextDeadline?.due ?? Infinity))
  }
  return out
}
