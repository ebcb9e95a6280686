import { CommandSequences } from "@vouch/testing"
import { DateTime, Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Complaint } from "../src/index.ts"

const people = ["li", "wang", "zhao", "sun"] as const
const base = Date.parse("2024-03-08T11:00:00Z")

/** Commands of every kind with small value domains, so that sequences collide with the rules often. */
const commands = (state: Complaint.State, history: ReadonlyArray<Complaint.Event>) => {
  // Time moves forward by up to a day per step, so survey delays are sometimes due.
  const step = fc.record({
    actor: fc.constantFrom(...people, "cust-7"),
    channel: fc.constantFrom("phone", "wechat", "email", "douyin"),
    at: fc
      .integer({ min: 0, max: 30 * 3_600_000 })
      .map((d) => DateTime.makeUnsafe(base + history.length * 3_600_000 + d))
  })
  const person = fc.constantFrom(...people)
  const maybeOwner = fc.option(person, { nil: undefined })
  const withOwner = <A extends object>(a: A, owner: string | undefined) => (owner === undefined ? a : { ...a, owner })
  const solutionId = fc.constantFrom("s-1", "s-2")
  const text = fc.constantFrom("x", " ", "reason")
  // The next step of the ordinary lifecycle, so that random runs also reach closure, surveys and reopens.
  const progress = (): fc.Arbitrary<Complaint.Command> => {
    switch (state.status) {
      case "None":
        return step.map((s) =>
          Complaint.Receive.make({
            complaintId: "c-1",
            customer: "cust-7",
            category: "billing",
            description: "d",
            remedySought: "refund",
            tier: "standard",
            ...s
          })
        )
      case "Open":
        return step.map((s) => Complaint.ProposeSolution.make({ solutionId: "s-1", description: "d", ...s }))
      case "AwaitingCustomer":
        return step.map((s) => Complaint.RecordCustomerResponse.make({ message: "a", ...s }))
      case "SolutionProposed":
      case "SolutionAccepted":
        return state.severity === "major" && state.tracker === undefined
          ? fc.tuple(step, person).map(([s, tracker]) => Complaint.AssignTracker.make({ tracker, ...s }))
          : step.map((s) => Complaint.Resolve.make({ summary: "done", ...s }))
      case "Resolved":
        return step.map((s) => Complaint.Close.make({ rootCause: "billing", surveyDelayMs: 0, ...s }))
      default:
        return fc.oneof(
          step.map((s) => Complaint.SendSurvey.make(s)),
          step.map((s) => Complaint.AnswerSurvey.make({ satisfaction: 3, recommend: 7, ...s })),
          step.map((s) => Complaint.Reopen.make({ reason: "again", ...s }))
        )
    }
  }
  const any = fc.oneof(
    fc
      .tuple(step, fc.constantFrom("c-1", "c-2"), fc.constantFrom("cust-7", "cust-8"))
      .map(([s, complaintId, customer]) =>
        Complaint.Receive.make({
          complaintId,
          customer,
          category: "billing",
          description: "d",
          remedySought: "refund",
          tier: "standard",
          ...s
        })
      ),
    fc
      .tuple(step, fc.constantFrom("Automatic", "Person") as fc.Arbitrary<"Automatic" | "Person">)
      .map(([s, mode]) => Complaint.Acknowledge.make({ mode, ...s })),
    fc
      .tuple(step, fc.constantFrom("normal", "complex", "major"), fc.constantFrom("low", "normal", "high", "urgent"))
      .map(([s, severity, priority]) =>
        Complaint.Assess.make({
          severity: severity as Complaint.Severity,
          priority: priority as Complaint.Priority,
          impact: "i",
          ...s
        })
      ),
    fc
      .tuple(step, person, maybeOwner)
      .map(([s, assignee, owner]) => Complaint.Assign.make(withOwner({ assignee, ...s }, owner))),
    fc
      .tuple(step, person, maybeOwner, fc.constantFrom("Functional", "Hierarchical") as fc.Arbitrary<"Functional">)
      .map(([s, to, owner, kind]) => Complaint.Escalate.make(withOwner({ kind, to, reason: "r", ...s }, owner))),
    fc
      .tuple(step, person, maybeOwner)
      .map(([s, tracker, owner]) => Complaint.AssignTracker.make(withOwner({ tracker, ...s }, owner))),
    fc.tuple(step, person, text).map(([s, to, reason]) => Complaint.TransferOwnership.make({ to, reason, ...s })),
    step.map((s) => Complaint.Reply.make({ message: "m", ...s })),
    step.map((s) => Complaint.AddInternalNote.make({ note: "n", ...s })),
    step.map((s) => Complaint.RecordCustomerMessage.make({ message: "m", ...s })),
    step.map((s) => Complaint.RequestCustomerInput.make({ request: "q", ...s })),
    step.map((s) => Complaint.RecordCustomerResponse.make({ message: "a", ...s })),
    fc
      .tuple(step, solutionId)
      .map(([s, id]) => Complaint.ProposeSolution.make({ solutionId: id, description: "d", ...s })),
    fc.tuple(step, solutionId).map(([s, id]) => Complaint.AcceptSolution.make({ solutionId: id, ...s })),
    fc.tuple(step, solutionId).map(([s, id]) => Complaint.RejectSolution.make({ solutionId: id, reason: "no", ...s })),
    step.map((s) => Complaint.Resolve.make({ summary: "done", ...s })),
    fc
      .tuple(step, text, fc.option(fc.constantFrom(0, 3_600_000), { nil: undefined }))
      .map(([s, rootCause, delay]) =>
        Complaint.Close.make({ rootCause, ...(delay === undefined ? {} : { surveyDelayMs: delay }), ...s })
      ),
    step.map((s) => Complaint.Reopen.make({ reason: "again", ...s })),
    fc
      .tuple(step, maybeOwner)
      .map(([s, owner]) => Complaint.Refer.make(withOwner({ organisation: "bank", reason: "r", ...s }, owner))),
    fc
      .tuple(step, fc.constantFrom("c-1", "c-3"), fc.constantFrom("cust-7", "cust-8"))
      .map(([s, survivorId, survivorCustomer]) => Complaint.MergeInto.make({ survivorId, survivorCustomer, ...s })),
    fc.tuple(step, fc.constantFrom("c-4", "c-5")).map(([s, duplicateId]) =>
      Complaint.AbsorbDuplicate.make({
        duplicateId,
        duplicateCustomer: "cust-7",
        duplicateChannel: "wechat",
        duplicateReceivedAt: DateTime.makeUnsafe(base - 3_600_000),
        ...s
      })
    ),
    step.map((s) => Complaint.SendSurvey.make(s)),
    fc
      .tuple(step, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 10 }))
      .map(([s, satisfaction, recommend]) => Complaint.AnswerSurvey.make({ satisfaction, recommend, ...s })),
    step.map((s) => Complaint.ExpireSurvey.make(s)),
    fc
      .tuple(step, fc.boolean(), fc.constantFrom("Visit", "Call") as fc.Arbitrary<"Visit">)
      .map(([s, stayedSolved, method]) => Complaint.RecordFollowUp.make({ method, stayedSolved, ...s }))
  )
  return fc.oneof(
    { arbitrary: progress(), weight: 1 },
    { arbitrary: any as fc.Arbitrary<Complaint.Command>, weight: 2 }
  )
}

// Every status change a single command may cause.
const allowed: Record<Complaint.Status, ReadonlyArray<Complaint.Status>> = {
  None: ["Open"],
  Open: ["AwaitingCustomer", "SolutionProposed", "Merged"],
  AwaitingCustomer: ["Open", "SolutionProposed", "SolutionAccepted", "Merged"],
  SolutionProposed: ["SolutionAccepted", "Open", "Resolved", "AwaitingCustomer", "Merged"],
  SolutionAccepted: ["Resolved", "AwaitingCustomer", "Merged"],
  Resolved: ["Closed"],
  Closed: ["Open"],
  Merged: []
}

type Step = CommandSequences.Step<Complaint.Command, Complaint.State, Complaint.Event, Complaint.Error>

const stateMachine = ({ before, after, command, result }: Step) => {
  if (before.status !== after.status) expect(allowed[before.status]).toContain(after.status)
  if (Result.isSuccess(result)) {
    for (const event of result.success) {
      if (event._tag === "SolutionProposed") expect(before.status).not.toBe("Closed")
      if (event._tag === "ComplaintClosed") {
        expect(before.status).toBe("Resolved")
        expect(event.rootCause.trim()).not.toBe("")
      }
      if (event._tag === "ComplaintResolved") expect(before.solution?.status).not.toBe("Rejected")
    }
  }
  if (before.status === "Merged") expect(Result.isFailure(result)).toBe(true)
  if (before.status === "Closed" && command._tag === "ProposeSolution") {
    expect(Result.isFailure(result) && result.failure._tag).toBe("ComplaintAlreadyClosed")
  }
  if (after.status === "Closed") {
    expect(after.resolutions).toBeGreaterThan(0)
    expect(after.rootCause).toBeDefined()
  }
}

const ownerOnlyByTransfer = ({ before, after, result }: Step) => {
  if (before.status === "None" || before.owner === after.owner) return
  expect(Result.isSuccess(result) && result.success.some((e) => e._tag === "OwnershipTransferred")).toBe(true)
}

const oneAnswerPerResolution = ({ history }: Step) => {
  const answered = history.flatMap((e) => (e._tag === "SurveyAnswered" ? [e.resolution] : []))
  expect(new Set(answered).size).toBe(answered.length)
  const scheduled = history.flatMap((e) => (e._tag === "ComplaintClosed" ? [e.resolution] : []))
  expect(new Set(scheduled).size).toBe(scheduled.length)
}

const answersMatchOwnership = ({ before, result }: Step) => {
  if (Result.isFailure(result)) return
  for (const event of result.success) {
    if (event._tag === "SurveyAnswered") expect([event.owner, event.assignee]).toEqual([before.owner, before.assignee])
  }
}

describe("Complaint: random command sequences", () => {
  it("never break the state machine, never change the owner without a transfer, one survey answer per resolution", () => {
    CommandSequences.check(Complaint.decider, {
      commands,
      invariants: [stateMachine, ownerOnlyByTransfer, oneAnswerPerResolution, answersMatchOwnership],
      maxCommands: 60,
      numRuns: 300
    })
  })

  it("reach the late states often enough to mean something", () => {
    // A sanity check on the generator: many runs close, survey and reopen.
    let closed = 0
    let answered = 0
    let reopened = 0
    CommandSequences.check(Complaint.decider, {
      commands,
      invariants: [
        ({ result }) => {
          if (Result.isFailure(result)) return
          for (const e of result.success) {
            if (e._tag === "ComplaintClosed") closed++
            if (e._tag === "SurveyAnswered") answered++
            if (e._tag === "ComplaintReopened") reopened++
          }
        }
      ],
      maxCommands: 80,
      numRuns: 100
    })
    expect(closed).toBeGreaterThan(0)
    expect(answered).toBeGreaterThan(0)
    expect(reopened).toBeGreaterThan(0)
  })
})
