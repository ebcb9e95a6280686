/**
 * Ready-made commitment definitions for the promises in the service-commitment documents: a
 * 24-hour first reply, a 48-hour solution, a 72-hour plan for a major problem, a 15-minute reply
 * to a consultation, a 2-hour initial solution for a complex problem, returns processed within 7
 * working days, a reply to feedback within one week, and repairs by the promised time with
 * compensation. Numbers a letter leaves blank are defaults; copy a definition and change it.
 */
import type * as Commitment from "./Commitment.ts"
import * as Compensation from "./Compensation.ts"
import * as Target from "./Target.ts"

const common = {
  warnings: [50, 75, 90],
  pauseStates: ["AwaitingCustomer"],
  reopen: "NewCycle",
  retarget: "KeepStart"
} as const

/** First reply to every complaint within 24 hours. */
export const firstReply: Commitment.Definition = {
  id: "first-reply",
  name: "First reply to every complaint within 24 hours",
  milestone: "FirstReply",
  rules: [],
  fallback: Target.hours(24),
  ...common
}

/** A solution proposed for a complaint within 48 hours. */
export const solutionProposed: Commitment.Definition = {
  id: "solution-proposed",
  name: "Solution proposed within 48 hours",
  milestone: "SolutionProposed",
  rules: [],
  fallback: Target.hours(48),
  ...common
}

/** A handling plan for a major problem within 72 hours (major severity only). */
export const majorProblemPlan: Commitment.Definition = {
  id: "major-problem-plan",
  name: "Handling plan for a major problem within 72 hours",
  milestone: "MajorProblemPlan",
  rules: [{ when: { severity: ["major"] }, target: Target.hours(72) }],
  ...common
}

/** First reply to an inquiry or consultation within 15 minutes. */
export const consultationReply: Commitment.Definition = {
  id: "consultation-reply",
  name: "Reply to a consultation within 15 minutes",
  milestone: { _tag: "CustomMilestone", name: "ConsultationReply" },
  rules: [],
  fallback: Target.minutes(15),
  ...common
}

/** An initial solution for a complex problem within 2 hours. */
export const complexInitialSolution: Commitment.Definition = {
  id: "complex-initial-solution",
  name: "Initial solution for a complex problem within 2 hours",
  milestone: { _tag: "CustomMilestone", name: "InitialSolution" },
  rules: [{ when: { severity: ["complex", "major"] }, target: Target.hours(2) }],
  ...common
}

/** Returns and exchanges processed within 7 working days on `calendar`. */
export const returnProcessed = (calendar: string): Commitment.Definition => ({
  id: "return-processed",
  name: "Return or exchange processed within 7 working days",
  milestone: "ReturnProcessed",
  rules: [],
  fallback: Target.workingDays(7, calendar),
  ...common
})

/** A reply to customer feedback or a suggestion within one week. */
export const feedbackReply: Commitment.Definition = {
  id: "feedback-reply",
  name: "Reply to feedback within one week",
  milestone: "FeedbackReply",
  rules: [],
  fallback: { _tag: "CalendarDuration", amount: 1, unit: "weeks" },
  ...common
}

/**
 * Repair completed by the time promised for that repair; a missed repair is compensated. The
 * fallback (5 working days) applies until the case re-targets the obligation to the promised
 * instant (`Obligation.Retarget` with a `DueAt` target).
 */
export const repairCompleted = (calendar: string, currency = "CNY"): Commitment.Definition => ({
  id: "repair-completed",
  name: "Repair completed by the promised time, or compensated",
  milestone: "RepairCompleted",
  rules: [],
  fallback: Target.workingDays(5, calendar),
  ...common,
  retarget: "KeepStart",
  compensation: Compensation.money("calendar", currency, [
    [0, 5_000],
    [24 * 60, 10_000],
    [72 * 60, 30_000]
  ])
})

/** Every preset, with working-day promises on `calendar`. */
export const all = (calendar: string): ReadonlyArray<Commitment.Definition> => [
  firstReply,
  solutionProposed,
  majorProblemPlan,
  consultationReply,
  complexInitialSolution,
  returnProcessed(calendar),
  feedbackReply,
  repairCompleted(calendar)
]
