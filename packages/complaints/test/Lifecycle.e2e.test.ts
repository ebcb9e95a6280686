/**
 * End to end on the in-memory store and the China mainland calendar: a phone complaint received
 * on a Friday evening, escalated, paused while waiting for the customer, solved, closed,
 * surveyed, reopened and closed again. The workflow drives the obligations; the sweeper turns
 * time into warnings and breaches; the read models are folded from the same log.
 */
import { Sweeper } from "@vouch/commitments"
import { CommandHandler, Projection } from "@vouch/core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { CaseBoard, Complaint, ComplaintReview, Workflow } from "../src/index.ts"
import { at, by, calendars, receive } from "./fixtures.ts"
import { config, obligation, obligationEvents, publishCommitments, run } from "./setup.ts"

const firstReply = Workflow.obligationStreamId("c-1", "acme/first-reply")
const solution = Workflow.obligationStreamId("c-1", "acme/solution-proposed")
const resolution = Workflow.obligationStreamId("c-1", "acme/resolution")

/** Handles a complaint command, then lets the workflow catch up. */
const act = (command: Complaint.Command) =>
  Effect.gen(function* () {
    const handled = yield* CommandHandler.handle(Complaint.aggregate, Complaint.streamId("c-1"), command)
    yield* Workflow.catchUp(config)
    return handled.state
  })
const iso = (millis: number | undefined) => (millis === undefined ? undefined : new Date(millis).toISOString())
const due = (streamId: string) => Effect.map(obligation(streamId), (s) => iso(s.cycle?.due))
const status = (streamId: string) => Effect.map(obligation(streamId), (s) => s.status)
const board = Effect.map(Projection.live(CaseBoard.projection), (s) => s.state.cases["c-1"])

describe("A phone complaint from Friday evening to its second closure", () => {
  it("keeps every promise measured on the calendar, and the survey state right", () =>
    run(
      Effect.gen(function* () {
        yield* publishCommitments

        // Friday 2024-03-08 19:00 Shanghai, after hours: the clocks start Monday 09:00.
        yield* act(receive())
        yield* act(Complaint.Acknowledge.make({ mode: "Automatic", ...by("system", "2024-03-08T11:00:05Z", "sms") }))
        expect(yield* due(firstReply)).toBe("2024-03-12T01:30:00.000Z") // 8 business hours: Tuesday 09:30
        expect(yield* due(solution)).toBe("2024-03-13T02:00:00.000Z") // 16 business hours: Wednesday 10:00
        expect(yield* due(resolution)).toBe("2024-03-15T10:00:00.000Z") // 5 working days: Friday 18:00
        // The automatic acknowledgement does not count as the first reply (the workflow's default).
        expect(yield* status(firstReply)).toBe("Running")
        expect((yield* board)?.nextDeadline).toMatchObject({
          milestone: "FirstReply",
          due: Date.parse("2024-03-12T01:30:00Z")
        })

        // Monday: assessed, escalated to the billing team, first public reply.
        yield* act(
          Complaint.Assess.make({
            severity: "complex",
            priority: "high",
            impact: "one order",
            ...by("li", "2024-03-11T01:30:00Z")
          })
        )
        let state = yield* act(
          Complaint.Escalate.make({
            kind: "Functional",
            to: "billing-team",
            reason: "refund needed",
            ...by("li", "2024-03-11T02:00:00Z")
          })
        )
        expect(state).toMatchObject({ owner: "li", assignee: "billing-team" })
        yield* act(
          Complaint.Reply.make({ message: "we are checking the charge", ...by("zhao", "2024-03-11T02:30:00Z") })
        )
        expect(yield* status(firstReply)).toBe("Met")

        // Monday 11:00: waiting for the bank statement pauses the clocks (2 business hours used).
        yield* act(
          Complaint.RequestCustomerInput.make({ request: "bank statement", ...by("zhao", "2024-03-11T03:00:00Z") })
        )
        expect(yield* status(solution)).toBe("Paused")
        expect(yield* status(resolution)).toBe("Paused")
        expect((yield* board)?.nextDeadline).toBeUndefined()
        // Nothing is due while paused, however late it gets.
        expect(yield* Sweeper.sweep({ now: at("2024-03-13T01:00:00Z"), calendars })).toMatchObject({ issued: 0 })

        // Wednesday 10:00 the customer answers: the clocks run again, and a next reply is owed.
        yield* act(
          Complaint.RecordCustomerResponse.make({
            message: "statement attached",
            ...by("cust-7", "2024-03-13T02:00:00Z", "email")
          })
        )
        expect(yield* due(solution)).toBe("2024-03-14T10:00:00.000Z") // 14 h left: Thursday 18:00
        expect(yield* due(resolution)).toBe("2024-03-19T09:00:00.000Z") // 35.5 h left: Tuesday 17:00
        expect(yield* due(firstReply)).toBe("2024-03-14T02:30:00.000Z") // next reply: Thursday 10:30
        expect((yield* obligation(firstReply)).cycle?.number).toBe(2)

        // Wednesday afternoon: a solution, accepted; Thursday: resolved and closed.
        yield* act(
          Complaint.ProposeSolution.make({
            solutionId: "s-1",
            description: "refund the double charge",
            ...by("zhao", "2024-03-13T06:00:00Z")
          })
        )
        expect([yield* status(solution), yield* status(firstReply)]).toEqual(["Met", "Met"])
        yield* act(
          Complaint.AcceptSolution.make({ solutionId: "s-1", ...by("cust-7", "2024-03-13T07:00:00Z", "wechat") })
        )
        yield* act(Complaint.Resolve.make({ summary: "refunded", ...by("zhao", "2024-03-14T02:00:00Z") }))
        expect(yield* status(resolution)).toBe("Met")
        state = yield* act(Complaint.Close.make({ rootCause: "billing", ...by("li", "2024-03-14T03:00:00Z") }))
        expect(state.surveys).toEqual([
          { resolution: 1, status: "Scheduled", dueAt: Date.parse("2024-03-15T03:00:00Z") }
        ])
        const met = (yield* obligationEvents(resolution)).find((e) => e._tag === "ObligationMet")
        expect(met).toMatchObject({ businessElapsedMs: 9.5 * 3_600_000 })

        // The survey goes out 24 hours later and is answered: attributed to owner and assignee.
        yield* act(Complaint.SendSurvey.make(by("system", "2024-03-15T03:00:00Z", "sms")))
        yield* act(
          Complaint.AnswerSurvey.make({ satisfaction: 5, recommend: 9, ...by("cust-7", "2024-03-15T05:00:00Z", "sms") })
        )
        const answered = yield* CommandHandler.handle(
          Complaint.aggregate,
          Complaint.streamId("c-1"),
          Complaint.AddInternalNote.make({ note: "survey in", ...by("li", "2024-03-15T06:00:00Z") })
        )
        expect(answered.state.surveys[0]?.status).toBe("Answered")

        // Monday 2024-03-18 10:00: charged again, reopened. Each commitment follows its reopen policy.
        state = yield* act(Complaint.Reopen.make({ reason: "charged again", ...by("li", "2024-03-18T02:00:00Z") }))
        expect(state).toMatchObject({ status: "Open", reopened: 1 })
        expect(yield* due(firstReply)).toBe("2024-03-19T02:30:00.000Z") // NewCycle: 8 h from Monday 10:00
        expect(yield* due(solution)).toBe("2024-03-20T03:00:00.000Z") // NewCycle: 16 h
        // Accumulate: 9.5 of 44 business hours already used, 34.5 h left: Friday 16:00.
        expect(yield* due(resolution)).toBe("2024-03-22T08:00:00.000Z")

        // Nobody replies by Tuesday 10:30: the sweeper breaches the first reply, warns on the solution.
        const swept = yield* Sweeper.sweep({ now: at("2024-03-19T03:00:00Z"), calendars })
        expect(swept).toMatchObject({ issued: 2 })
        const breach = (yield* obligationEvents(firstReply)).find((e) => e._tag === "ObligationBreached")
        expect(breach).toMatchObject({ cycle: 3, reason: "DeadlinePassed" })
        expect((yield* board)?.breached).toBe(1)
        yield* act(Complaint.Reply.make({ message: "sorry, looking again", ...by("zhao", "2024-03-19T03:30:00Z") }))
        expect(yield* status(firstReply)).toBe("FulfilledLate")

        yield* act(
          Complaint.ProposeSolution.make({
            solutionId: "s-2",
            description: "block the duplicate mandate",
            ...by("zhao", "2024-03-19T06:00:00Z")
          })
        )
        yield* act(Complaint.AcceptSolution.make({ solutionId: "s-2", ...by("cust-7", "2024-03-19T07:00:00Z") }))
        yield* act(Complaint.Resolve.make({ summary: "mandate blocked", ...by("zhao", "2024-03-20T02:00:00Z") }))
        state = yield* act(Complaint.Close.make({ rootCause: "billing", ...by("li", "2024-03-20T03:00:00Z") }))
        expect([yield* status(solution), yield* status(resolution)]).toEqual(["Met", "Met"])
        expect(state.surveys.map((s) => [s.resolution, s.status])).toEqual([
          [1, "Answered"],
          [2, "Scheduled"]
        ])

        // The second survey is never answered: recorded as such.
        yield* act(Complaint.SendSurvey.make(by("system", "2024-03-21T03:00:00Z", "sms")))
        state = yield* act(Complaint.ExpireSurvey.make(by("system", "2024-03-28T03:00:00Z", "system")))
        expect(state.surveys[1]?.status).toBe("Unanswered")

        // Read models: closed once (the first closure was annulled), one recurrence, one answer.
        const review = (yield* Projection.live(ComplaintReview.projection())).state
        const march = review.periods["2024-03"]
        expect(march).toMatchObject({ received: 1, closed: { "billing|phone|billing": 1 }, reopened: 1 })
        expect(march?.surveys).toEqual({ answered: 1, satisfactionSum: 5, promoters: 1, detractors: 0, unanswered: 1 })
        expect(yield* board).toMatchObject({ status: "Closed", owner: "li", assignee: "billing-team", breached: 0 })
        expect((yield* board)?.nextDeadline).toBeUndefined()
      })
    ))
})
