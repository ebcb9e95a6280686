import { Decider } from "@vouch/core"
import { DeciderSpec } from "@vouch/testing"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { Complaint } from "../src/index.ts"
import { at, by, fridayEvening, history, receive, toResolved } from "./fixtures.ts"

const spec = DeciderSpec.make(Complaint.decider)
const stateOf = (events: ReadonlyArray<Complaint.Event>) => Decider.fold(Complaint.decider, events)
const received = () => history(receive())
const resolved = () => history(...toResolved())
const closed = () =>
  history(...toResolved(), Complaint.Close.make({ rootCause: "billing", ...by("li", "2024-03-11T06:00:00Z") }))

describe("Complaint: receipt", () => {
  it("records channel, customer, order, category, remedy and tier; the receiver owns it", () => {
    const state = spec
      .given([])
      .when(receive())
      .thenEvents([
        Complaint.ComplaintReceived.make({
          complaintId: "c-1",
          customer: "cust-7",
          order: "order-42",
          category: "billing",
          description: "charged twice",
          remedySought: "refund",
          tier: "standard",
          ...by("li", fridayEvening)
        })
      ])
    expect(state).toMatchObject({ status: "Open", owner: "li", assignee: "li", channel: "phone" })
    expect(state.unansweredSince).toBe(Date.parse(fridayEvening))
  })

  it("accepts channels beyond the built-in ones", () => {
    const state = spec
      .given([])
      .when(receive({ channel: "douyin" }))
      .thenEvents([expect.objectContaining({ channel: "douyin" }) as never])
    expect(state.channel).toBe("douyin")
  })

  it("refuses a second receipt and any command before receipt", () => {
    spec
      .given(received())
      .when(receive({ actor: "wang" }))
      .thenFails({ _tag: "AlreadyReceived" })
    spec
      .given([])
      .when(Complaint.Reply.make({ message: "hi", ...by("li", fridayEvening) }))
      .thenFails({ _tag: "NotReceived", command: "Reply" })
  })
})

describe("Complaint: first-contact ownership", () => {
  it("assigning, escalating and referring change the assignee, never the owner", () => {
    const t = "2024-03-11T01:00:00Z"
    let state = spec
      .given(received())
      .when(Complaint.Assign.make({ assignee: "zhao", team: "billing", ...by("li", t) }))
      .thenEvents([Complaint.ComplaintAssigned.make({ assignee: "zhao", team: "billing", ...by("li", t) })])
    expect(state).toMatchObject({ owner: "li", assignee: "zhao" })
    const events = history(
      receive(),
      Complaint.Assign.make({ assignee: "zhao", ...by("li", t) }),
      Complaint.Escalate.make({
        kind: "Hierarchical",
        to: "manager-sun",
        reason: "refund above limit",
        ...by("zhao", t)
      })
    )
    state = spec
      .given(events)
      .when(Complaint.Refer.make({ organisation: "bank", reason: "chargeback", ...by("sun", t) }))
      .thenEvents([Complaint.ComplaintReferred.make({ organisation: "bank", reason: "chargeback", ...by("sun", t) })])
    expect(state).toMatchObject({ owner: "li", assignee: "bank", referredTo: "bank" })
  })

  it("only an explicit transfer with a reason changes the owner", () => {
    const t = "2024-03-11T01:00:00Z"
    const state = spec
      .given(received())
      .when(Complaint.TransferOwnership.make({ to: "wang", reason: "li moves to another site", ...by("li", t) }))
      .thenEvents([
        Complaint.OwnershipTransferred.make({
          from: "li",
          to: "wang",
          reason: "li moves to another site",
          ...by("li", t)
        })
      ])
    expect(state.owner).toBe("wang")
  })

  it("refuses a transfer without a reason, or to the current owner", () => {
    const t = "2024-03-11T01:00:00Z"
    spec
      .given(received())
      .when(Complaint.TransferOwnership.make({ to: "wang", reason: "  ", ...by("li", t) }))
      .thenFails({ _tag: "InvalidOwnershipTransfer", reason: "a reason is required" })
    spec
      .given(received())
      .when(Complaint.TransferOwnership.make({ to: "li", reason: "why not", ...by("li", t) }))
      .thenFails({ _tag: "InvalidOwnershipTransfer" })
  })

  it("refuses any other command that tries to change the owner", () => {
    const t = "2024-03-11T01:00:00Z"
    for (const command of [
      Complaint.Assign.make({ assignee: "zhao", owner: "zhao", ...by("li", t) }),
      Complaint.Escalate.make({ kind: "Functional", to: "logistics", reason: "r", owner: "chen", ...by("li", t) }),
      Complaint.Refer.make({ organisation: "bank", reason: "r", owner: "bank", ...by("li", t) })
    ]) {
      spec
        .given(received())
        .when(command)
        .thenFails({ _tag: "OwnershipChangeRefused", owner: "li", attempted: command.owner ?? "" })
    }
    // Stating the current owner is fine.
    spec
      .given(received())
      .when(Complaint.Assign.make({ assignee: "zhao", owner: "li", ...by("li", t) }))
      .thenEvents([Complaint.ComplaintAssigned.make({ assignee: "zhao", ...by("li", t) })])
  })

  it("the owner stays accountable until closure: no transfer on a closed case", () => {
    spec
      .given(closed())
      .when(Complaint.TransferOwnership.make({ to: "wang", reason: "r", ...by("li", "2024-03-12T01:00:00Z") }))
      .thenFails({ _tag: "ComplaintAlreadyClosed" })
  })

  it("a major complaint gets a dedicated tracker, and is resolved only with one", () => {
    const t = "2024-03-11T01:00:00Z"
    spec
      .given(received())
      .when(Complaint.AssignTracker.make({ tracker: "zhou", ...by("li", t) }))
      .thenFails({ _tag: "TrackerNotApplicable", severity: "unassessed" })
    const major = history(
      receive(),
      Complaint.Assess.make({ severity: "major", priority: "high", impact: "many customers", ...by("li", t) }),
      Complaint.ProposeSolution.make({ solutionId: "s", description: "d", ...by("li", t) })
    )
    spec
      .given(major)
      .when(Complaint.Resolve.make({ summary: "done", ...by("li", t) }))
      .thenFails({ _tag: "TrackerRequired" })
    const state = spec
      .given(major)
      .when(Complaint.AssignTracker.make({ tracker: "zhou", ...by("manager", t) }))
      .thenEvents([Complaint.TrackerAssigned.make({ tracker: "zhou", ...by("manager", t) })])
    expect(state).toMatchObject({ tracker: "zhou", owner: "li" })
  })
})

describe("Complaint: acknowledgement, assessment and replies", () => {
  const t = "2024-03-11T01:00:00Z"
  it("acknowledges once, automatically or by a person", () => {
    spec
      .given(received())
      .when(Complaint.Acknowledge.make({ mode: "Automatic", ...by("system", fridayEvening, "sms") }))
      .thenEvents([Complaint.ComplaintAcknowledged.make({ mode: "Automatic", ...by("system", fridayEvening, "sms") })])
    spec
      .given(history(receive(), Complaint.Acknowledge.make({ mode: "Automatic", ...by("system", t) })))
      .when(Complaint.Acknowledge.make({ mode: "Person", ...by("li", t) }))
      .thenFails({ _tag: "AlreadyAcknowledged" })
  })

  it("records severity, priority and impact, and re-assessment", () => {
    const state = spec
      .given(received())
      .when(Complaint.Assess.make({ severity: "complex", priority: "high", impact: "one order", ...by("li", t) }))
      .thenEvents([
        Complaint.ComplaintAssessed.make({ severity: "complex", priority: "high", impact: "one order", ...by("li", t) })
      ])
    expect(state).toMatchObject({ severity: "complex", priority: "high" })
  })

  it("a public reply answers the customer; an internal note does not", () => {
    const noted = spec
      .given(received())
      .when(Complaint.AddInternalNote.make({ note: "checking ledger", ...by("li", t) }))
      .thenEvents([Complaint.InternalNoteAdded.make({ note: "checking ledger", ...by("li", t) })])
    expect(noted.unansweredSince).toBe(Date.parse(fridayEvening))
    expect(noted.firstRepliedAt).toBeUndefined()
    const replied = spec
      .given(received())
      .when(Complaint.Reply.make({ message: "we are on it", ...by("li", t, "wechat") }))
      .thenEvents([Complaint.AgentReplied.make({ message: "we are on it", ...by("li", t, "wechat") })])
    expect(replied).toMatchObject({ unansweredSince: undefined, firstRepliedAt: Date.parse(t) })
  })

  it("the oldest unanswered customer message is kept", () => {
    const events = history(
      receive(),
      Complaint.Reply.make({ message: "on it", ...by("li", "2024-03-11T01:00:00Z") }),
      Complaint.RecordCustomerMessage.make({ message: "any news?", ...by("cust-7", "2024-03-11T02:00:00Z") })
    )
    const state = spec
      .given(events)
      .when(Complaint.RecordCustomerMessage.make({ message: "hello??", ...by("cust-7", "2024-03-11T03:00:00Z") }))
      .thenEvents([Complaint.CustomerMessaged.make({ message: "hello??", ...by("cust-7", "2024-03-11T03:00:00Z") })])
    expect(state.unansweredSince).toBe(Date.parse("2024-03-11T02:00:00Z"))
  })
})

describe("Complaint: waiting on the customer", () => {
  const t = "2024-03-11T01:00:00Z"
  const waiting = () =>
    history(receive(), Complaint.RequestCustomerInput.make({ request: "send the bank statement", ...by("li", t) }))

  it("pauses and resumes", () => {
    expect(spec.given(waiting()).when(Complaint.Reply.make({ message: "x", ...by("li", t) })).before.status).toBe(
      "AwaitingCustomer"
    )
    const state = spec
      .given(waiting())
      .when(Complaint.RecordCustomerResponse.make({ message: "attached", ...by("cust-7", t, "email") }))
      .thenEvents([Complaint.CustomerResponded.make({ message: "attached", ...by("cust-7", t, "email") })])
    expect(state.status).toBe("Open")
  })

  it("a customer message while waiting is the response", () => {
    spec
      .given(waiting())
      .when(Complaint.RecordCustomerMessage.make({ message: "attached", ...by("cust-7", t) }))
      .thenEvents([Complaint.CustomerResponded.make({ message: "attached", ...by("cust-7", t) })])
  })

  it("refuses to wait twice, to record a response nobody asked for, and to propose while waiting", () => {
    spec
      .given(waiting())
      .when(Complaint.RequestCustomerInput.make({ request: "more", ...by("li", t) }))
      .thenFails({ _tag: "InvalidTransition", status: "AwaitingCustomer" })
    spec
      .given(received())
      .when(Complaint.RecordCustomerResponse.make({ message: "m", ...by("cust-7", t) }))
      .thenFails({ _tag: "InvalidTransition", status: "Open" })
    spec
      .given(waiting())
      .when(Complaint.ProposeSolution.make({ solutionId: "s", description: "d", ...by("li", t) }))
      .thenFails({ _tag: "InvalidTransition", status: "AwaitingCustomer" })
  })
})

describe("Complaint: solutions, resolution and closure", () => {
  const t = "2024-03-11T05:00:00Z"
  const proposed = () =>
    history(receive(), Complaint.ProposeSolution.make({ solutionId: "s-1", description: "refund", ...by("li", t) }))

  it("a rejected solution sends the case back to investigation", () => {
    const state = spec
      .given(proposed())
      .when(Complaint.RejectSolution.make({ solutionId: "s-1", reason: "too little", ...by("cust-7", t) }))
      .thenEvents([Complaint.SolutionRejected.make({ solutionId: "s-1", reason: "too little", ...by("cust-7", t) })])
    expect(state.status).toBe("Open")
    spec
      .given(proposed())
      .when(Complaint.AcceptSolution.make({ solutionId: "s-9", ...by("cust-7", t) }))
      .thenFails({ _tag: "UnknownSolution", solutionId: "s-9", pending: "s-1" })
  })

  it("no second proposal while one is pending, no accepting what nobody proposed", () => {
    spec
      .given(proposed())
      .when(Complaint.ProposeSolution.make({ solutionId: "s-2", description: "d", ...by("li", t) }))
      .thenFails({ _tag: "InvalidTransition", status: "SolutionProposed" })
    spec
      .given(received())
      .when(Complaint.AcceptSolution.make({ solutionId: "s-1", ...by("cust-7", t) }))
      .thenFails({ _tag: "InvalidTransition", status: "Open" })
  })

  it("resolves only with a solution, not rejected", () => {
    spec
      .given(received())
      .when(Complaint.Resolve.make({ summary: "done", ...by("li", t) }))
      .thenFails({ _tag: "NoSolution", status: "Open" })
    const state = spec
      .given(proposed())
      .when(Complaint.Resolve.make({ summary: "refunded", ...by("li", t) }))
      .thenEvents([Complaint.ComplaintResolved.make({ resolution: 1, summary: "refunded", ...by("li", t) })])
    expect(state).toMatchObject({ status: "Resolved", resolutions: 1 })
  })

  it("no closing without a resolution; a root cause is required", () => {
    spec
      .given(proposed())
      .when(Complaint.Close.make({ rootCause: "billing", ...by("li", t) }))
      .thenFails({ _tag: "NotResolved", status: "SolutionProposed" })
    spec
      .given(resolved())
      .when(Complaint.Close.make({ rootCause: " ", ...by("li", t) }))
      .thenFails({ _tag: "RootCauseRequired" })
  })

  it("closing schedules the survey after the configured delay (24 hours by default)", () => {
    const state = spec
      .given(resolved())
      .when(Complaint.Close.make({ rootCause: "billing", ...by("li", t) }))
      .thenEvents([
        Complaint.ComplaintClosed.make({
          resolution: 1,
          rootCause: "billing",
          surveyDueAt: at("2024-03-12T05:00:00Z"),
          ...by("li", t)
        })
      ])
    expect(state.surveys).toEqual([{ resolution: 1, status: "Scheduled", dueAt: Date.parse("2024-03-12T05:00:00Z") }])
    spec
      .given(resolved())
      .when(Complaint.Close.make({ rootCause: "billing", surveyDelayMs: 3_600_000, ...by("li", t) }))
      .thenEvents([
        Complaint.ComplaintClosed.make({
          resolution: 1,
          rootCause: "billing",
          surveyDueAt: at("2024-03-11T06:00:00Z"),
          ...by("li", t)
        })
      ])
  })

  it("no solution proposed, reply or assignment on a closed case", () => {
    for (const command of [
      Complaint.ProposeSolution.make({ solutionId: "s-2", description: "d", ...by("li", t) }),
      Complaint.Reply.make({ message: "m", ...by("li", t) }),
      Complaint.Assign.make({ assignee: "zhao", ...by("li", t) }),
      Complaint.Close.make({ rootCause: "billing", ...by("li", t) })
    ]) {
      spec.given(closed()).when(command).thenFails({ _tag: "ComplaintAlreadyClosed", command: command._tag })
    }
  })

  it("a resolved case is closed, not worked on", () => {
    spec
      .given(resolved())
      .when(Complaint.ProposeSolution.make({ solutionId: "s-2", description: "d", ...by("li", t) }))
      .thenFails({ _tag: "InvalidTransition", status: "Resolved" })
  })
})

describe("Complaint: reopen", () => {
  const t = "2024-03-13T01:00:00Z"
  it("reopens a closed case and cancels its pending survey", () => {
    const state = spec
      .given(closed())
      .when(Complaint.Reopen.make({ reason: "charged again", ...by("li", t) }))
      .thenEvents([
        Complaint.ComplaintReopened.make({ reason: "charged again", ...by("li", t) }),
        Complaint.SurveyCancelled.make({ resolution: 1, reason: "complaint reopened", ...by("li", t) })
      ])
    expect(state).toMatchObject({ status: "Open", reopened: 1, rootCause: undefined })
    expect(state.surveys[0]?.status).toBe("Cancelled")
  })

  it("keeps an answered survey, and only reopens closed cases", () => {
    const answered = history(
      ...toResolved(),
      Complaint.Close.make({ rootCause: "billing", surveyDelayMs: 0, ...by("li", "2024-03-11T06:00:00Z") }),
      Complaint.SendSurvey.make(by("system", "2024-03-11T06:00:00Z", "sms")),
      Complaint.AnswerSurvey.make({ satisfaction: 4, recommend: 8, ...by("cust-7", "2024-03-11T07:00:00Z", "sms") })
    )
    spec
      .given(answered)
      .when(Complaint.Reopen.make({ reason: "r", ...by("li", t) }))
      .thenEvents([Complaint.ComplaintReopened.make({ reason: "r", ...by("li", t) })])
    spec
      .given(resolved())
      .when(Complaint.Reopen.make({ reason: "r", ...by("li", t) }))
      .thenFails({ _tag: "InvalidTransition", status: "Resolved" })
  })

  it("a reopened case is resolved again as resolution 2", () => {
    const events = history(
      ...toResolved(),
      Complaint.Close.make({ rootCause: "billing", ...by("li", "2024-03-11T06:00:00Z") }),
      Complaint.Reopen.make({ reason: "r", ...by("li", t) }),
      Complaint.ProposeSolution.make({ solutionId: "s-2", description: "d", ...by("li", t) })
    )
    spec
      .given(events)
      .when(Complaint.Resolve.make({ summary: "again", ...by("li", t) }))
      .thenEvents([Complaint.ComplaintResolved.make({ resolution: 2, summary: "again", ...by("li", t) })])
  })
})

describe("Complaint: duplicates across channels", () => {
  const t = "2024-03-11T01:00:00Z"
  it("the duplicate is merged; the survivor keeps the earliest receipt", () => {
    const wechat = history(receive({ complaintId: "c-2", ...by("wang", t, "wechat") }))
    const state = spec
      .given(wechat)
      .when(Complaint.MergeInto.make({ survivorId: "c-1", survivorCustomer: "cust-7", ...by("wang", t) }))
      .thenEvents([Complaint.ComplaintMerged.make({ into: "c-1", ...by("wang", t) })])
    expect(state.status).toBe("Merged")
    spec
      .given([...wechat, Complaint.ComplaintMerged.make({ into: "c-1", ...by("wang", t) })])
      .when(Complaint.Reply.make({ message: "m", ...by("wang", t) }))
      .thenFails({ _tag: "ComplaintWasMerged", into: "c-1" })

    // The survivor was received later than the duplicate here: it takes the earlier instant.
    const survivor = history(receive({ ...by("li", "2024-03-11T03:00:00Z") }))
    const absorb = Complaint.AbsorbDuplicate.make({
      duplicateId: "c-2",
      duplicateCustomer: "cust-7",
      duplicateChannel: "wechat",
      duplicateReceivedAt: at(t),
      ...by("workflow", "2024-03-11T03:05:00Z", "system")
    })
    const after = spec
      .given(survivor)
      .when(absorb)
      .thenEvents([
        Complaint.DuplicateAbsorbed.make({
          duplicateId: "c-2",
          duplicateChannel: "wechat",
          duplicateReceivedAt: at(t),
          receivedAt: at(t),
          ...by("workflow", "2024-03-11T03:05:00Z", "system")
        })
      ])
    expect(after).toMatchObject({ receivedAt: Date.parse(t), duplicates: ["c-2"], owner: "li" })
    // Absorbing the same duplicate twice decides nothing.
    const absorbed = [...survivor, ...(Result.getOrThrow(Complaint.decide(absorb, stateOf(survivor))) as Array<never>)]
    spec.given(absorbed).when(absorb).thenEvents([])
  })

  it("refuses merging into itself or into another customer's case", () => {
    spec
      .given(received())
      .when(Complaint.MergeInto.make({ survivorId: "c-1", survivorCustomer: "cust-7", ...by("li", t) }))
      .thenFails({ _tag: "InvalidMerge" })
    spec
      .given(received())
      .when(Complaint.MergeInto.make({ survivorId: "c-9", survivorCustomer: "cust-8", ...by("li", t) }))
      .thenFails({ _tag: "InvalidMerge", reason: "the surviving case belongs to another customer" })
  })
})

describe("Complaint: surveys and follow-ups", () => {
  const closedAt = "2024-03-11T06:00:00Z"
  const dueAt = "2024-03-12T06:00:00Z"
  it("the survey is sent when due, answered once, attributed to the owner and assignee of the moment", () => {
    spec
      .given(closed())
      .when(Complaint.SendSurvey.make(by("system", "2024-03-12T05:59:59Z", "sms")))
      .thenFails({ _tag: "SurveyRefused", reason: "not due yet", dueAt: "2024-03-12T06:00:00.000Z" })
    const afterSend = history(
      ...toResolved(),
      Complaint.Assign.make({ assignee: "zhao", ...by("li", "2024-03-11T05:30:00Z") }),
      Complaint.Close.make({ rootCause: "billing", ...by("li", closedAt) }),
      Complaint.SendSurvey.make(by("system", dueAt, "sms"))
    )
    const answer = Complaint.AnswerSurvey.make({
      satisfaction: 5,
      recommend: 9,
      comment: "quick refund",
      ...by("cust-7", "2024-03-12T08:00:00Z", "sms")
    })
    const state = spec
      .given(afterSend)
      .when(answer)
      .thenEvents([
        Complaint.SurveyAnswered.make({
          resolution: 1,
          satisfaction: 5,
          recommend: 9,
          comment: "quick refund",
          owner: "li",
          assignee: "zhao",
          ...by("cust-7", "2024-03-12T08:00:00Z", "sms")
        })
      ])
    expect(state.surveys).toEqual([{ resolution: 1, status: "Answered", dueAt: Date.parse(dueAt) }])
    spec
      .given([...afterSend, ...Result.getOrThrow(Complaint.decide(answer, stateOf(afterSend)))])
      .when(answer)
      .thenFails({ _tag: "SurveyRefused", reason: "no survey is waiting for an answer" })
  })

  it("an unanswered survey is recorded as such and cannot be answered later", () => {
    const sent = history(
      ...toResolved(),
      Complaint.Close.make({ rootCause: "billing", ...by("li", closedAt) }),
      Complaint.SendSurvey.make(by("system", dueAt, "sms"))
    )
    const expired = Complaint.ExpireSurvey.make(by("system", "2024-03-19T06:00:00Z", "system"))
    spec
      .given(sent)
      .when(expired)
      .thenEvents([
        Complaint.SurveyUnanswered.make({ resolution: 1, ...by("system", "2024-03-19T06:00:00Z", "system") })
      ])
    spec
      .given(history(...toResolved(), Complaint.Close.make({ rootCause: "billing", ...by("li", closedAt) })))
      .when(Complaint.AnswerSurvey.make({ satisfaction: 1, recommend: 0, ...by("cust-7", dueAt) }))
      .thenFails({ _tag: "SurveyRefused" })
  })

  it("a follow-up after resolution records whether the problem stayed solved", () => {
    const t = "2024-03-18T02:00:00Z"
    spec
      .given(closed())
      .when(Complaint.RecordFollowUp.make({ method: "Call", stayedSolved: true, ...by("li", t) }))
      .thenEvents([
        Complaint.FollowUpRecorded.make({ resolution: 1, method: "Call", stayedSolved: true, ...by("li", t) })
      ])
    spec
      .given(received())
      .when(Complaint.RecordFollowUp.make({ method: "Visit", stayedSolved: false, ...by("li", t) }))
      .thenFails({ _tag: "NotResolved" })
  })
})
