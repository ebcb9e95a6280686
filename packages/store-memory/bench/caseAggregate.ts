/**
 * The aggregate the store benchmarks share (the file bench imports it from here): complaint-like,
 * with a state that grows with its events, so folds do real work. Events are encoded through its
 * catalog, as applications append them.
 */
import { Aggregate, Decider, type Event, EventCatalog } from "@vouch/core"
import { Result, Schema } from "effect"

const Logged = Schema.TaggedStruct("Logged", { agent: Schema.String, minutes: Schema.Number, note: Schema.String })
const Escalated = Schema.TaggedStruct("Escalated", { level: Schema.Number })
export const CaseEvent = Schema.Union([Logged, Escalated])
export type CaseEvent = typeof CaseEvent.Type

export interface CaseState {
  readonly minutes: number
  readonly level: number
  readonly perAgent: Record<string, number>
  readonly count: number
}

export const initialState: CaseState = { minutes: 0, level: 0, perAgent: {}, count: 0 }

export const evolve = (state: { -readonly [K in keyof CaseState]: CaseState[K] }, event: CaseEvent): void => {
  state.count++
  if (event._tag === "Logged") {
    state.minutes += event.minutes
    state.perAgent[event.agent] = (state.perAgent[event.agent] ?? 0) + event.minutes
  } else {
    state.level = event.level
  }
}

/** Logging work on a case: one `Logged` event (the contention workload's command). */
export type Log = { readonly _tag: "Log"; readonly agent: string }

export const decider = Decider.make<Log, CaseState, CaseEvent, never>({
  initialState,
  evolve,
  decide: (command) => Result.succeed([{ _tag: "Logged", agent: command.agent, minutes: 5, note: "worked on it" }])
})

export const Case = Aggregate.make({ category: "case", decider, events: EventCatalog.make("bench", CaseEvent) })

/** Event `i` of a case: nine logs, then an escalation. */
export const caseEvent = (i: number): CaseEvent =>
  i % 10 === 9
    ? { _tag: "Escalated", level: i % 3 }
    : { _tag: "Logged", agent: `agent-${i % 7}`, minutes: i % 13, note: "called back" }

/** Event `i` of a case, encoded through the catalog for stream `streamId`. */
export const encodedCaseEvent = (streamId: string, i: number): Event.NewEvent =>
  Result.getOrThrow(Case.events.encode(caseEvent(i), { streamId }))
