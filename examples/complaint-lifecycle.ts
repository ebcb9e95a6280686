/**
 * A phone complaint from receipt to survey, on the in-memory store and the China mainland
 * calendar: the workflow starts and drives the obligations the commitment letter promises, and
 * the case board and the review are folded from the same log.
 *
 *   cd /work/main && node --conditions=@vouch/source --import tsx examples/complaint-lifecycle.ts
 */
import { readFileSync } from "node:fs"
import { BusinessCalendar, Commitment, Obligation, Presets, Target } from "@vouch/commitments"
import { CaseBoard, Complaint, ComplaintReview, Workflow } from "@vouch/complaints"
import { Aggregate, CommandHandler, Projection } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { DateTime, Effect, Result } from "effect"

const cn = Result.getOrThrow(
  BusinessCalendar.fromJson(
    readFileSync(new URL("../packages/commitments/calendars/cn-mainland-2024-2025.json", import.meta.url), "utf8")
  ) as Result.Result<BusinessCalendar.BusinessCalendar, unknown>
)
const calendars = BusinessCalendar.registry(cn)
const obligations = Obligation.makeAggregate(calendars)
const at = (iso: string) => DateTime.makeUnsafe(iso)
const by = (actor: string, iso: string, channel = "phone") => ({ actor, channel, at: at(iso) })
const local = (millis: number | undefined) =>
  millis === undefined ? "—" : new Date(millis + 8 * 3_600_000).toISOString().replace("T", " ").slice(0, 16)

const program = Effect.gen(function* () {
  // The commitment letter: first reply 8 business hours on the phone, solution 16, resolution 5 working days.
  const set = Result.getOrThrow(Aggregate.streamId(Commitment.aggregate, "acme"))
  yield* CommandHandler.handle(
    Commitment.aggregate,
    set,
    Commitment.DraftSet.make({
      setId: "acme",
      name: "ACME commitment letter",
      definitions: [
        {
          ...Presets.firstReply,
          rules: [{ when: { channel: ["phone"] }, target: Target.businessHours(8, "cn-mainland") }]
        },
        { ...Presets.solutionProposed, fallback: Target.businessHours(16, "cn-mainland") },
        {
          ...Presets.solutionProposed,
          id: "resolution",
          name: "Resolved within 5 working days",
          milestone: "Resolution",
          fallback: Target.workingDays(5, "cn-mainland")
        },
        Presets.majorProblemPlan
      ],
      at: at("2024-01-01T00:00:00Z")
    })
  )
  yield* CommandHandler.handle(Commitment.aggregate, set, Commitment.Publish.make({ at: at("2024-01-01T00:00:00Z") }))

  const config: Workflow.Config = { commitmentSetId: "acme", calendars }
  const step = (label: string, command: Complaint.Command) =>
    Effect.gen(function* () {
      const { state } = yield* CommandHandler.handle(Complaint.aggregate, Complaint.streamId("c-1"), command)
      yield* Workflow.catchUp(config)
      const clocks: Array<string> = []
      for (const id of ["first-reply", "solution-proposed", "resolution"]) {
        const o = (yield* Aggregate.load(obligations, Workflow.obligationStreamId("c-1", `acme/${id}`))).state
        clocks.push(`${id} ${o.status}${o.status === "Running" ? ` due ${local(o.cycle?.due)}` : ""}`)
      }
      const survey = state.surveys[state.surveys.length - 1]
      console.log(`${label.padEnd(38)} ${state.status.padEnd(17)} owner=${state.owner} assignee=${state.assignee}`)
      console.log(
        `${"".padEnd(38)} ${clocks.join(" | ")}${survey ? ` | survey ${survey.resolution}: ${survey.status}` : ""}`
      )
    })

  yield* step(
    "Fri 19:00 received by phone",
    Complaint.Receive.make({
      complaintId: "c-1",
      customer: "cust-7",
      order: "order-42",
      category: "billing",
      description: "charged twice",
      remedySought: "refund",
      tier: "standard",
      ...by("li", "2024-03-08T11:00:00Z")
    })
  )
  yield* step(
    "Mon 10:00 escalated to billing",
    Complaint.Escalate.make({
      kind: "Functional",
      to: "billing-team",
      reason: "refund",
      ...by("li", "2024-03-11T02:00:00Z")
    })
  )
  yield* step(
    "Mon 10:30 public reply",
    Complaint.Reply.make({ message: "checking", ...by("zhao", "2024-03-11T02:30:00Z") })
  )
  yield* step(
    "Mon 11:00 waiting on the customer",
    Complaint.RequestCustomerInput.make({ request: "bank statement", ...by("zhao", "2024-03-11T03:00:00Z") })
  )
  yield* step(
    "Wed 10:00 customer responded",
    Complaint.RecordCustomerResponse.make({ message: "attached", ...by("cust-7", "2024-03-13T02:00:00Z", "email") })
  )
  yield* step(
    "Wed 14:00 solution proposed",
    Complaint.ProposeSolution.make({ solutionId: "s-1", description: "refund", ...by("zhao", "2024-03-13T06:00:00Z") })
  )
  yield* step(
    "Wed 15:00 solution accepted",
    Complaint.AcceptSolution.make({ solutionId: "s-1", ...by("cust-7", "2024-03-13T07:00:00Z") })
  )
  yield* step(
    "Thu 10:00 resolved",
    Complaint.Resolve.make({ summary: "refunded", ...by("zhao", "2024-03-14T02:00:00Z") })
  )
  yield* step(
    "Thu 11:00 closed (root cause billing)",
    Complaint.Close.make({ rootCause: "billing", ...by("li", "2024-03-14T03:00:00Z") })
  )
  yield* step("Fri 11:00 survey sent", Complaint.SendSurvey.make(by("system", "2024-03-15T03:00:00Z", "sms")))
  yield* step(
    "Fri 13:00 survey answered 5/5, 9/10",
    Complaint.AnswerSurvey.make({ satisfaction: 5, recommend: 9, ...by("cust-7", "2024-03-15T05:00:00Z", "sms") })
  )

  const board = (yield* Projection.live(CaseBoard.projection)).state
  const review = (yield* Projection.live(ComplaintReview.projection())).state
  console.log("\ncase board:", JSON.stringify(board.cases["c-1"], ["status", "owner", "assignee", "breached"]))
  const march = review.periods["2024-03"]
  console.log("review 2024-03:", JSON.stringify(march))
  if (march !== undefined) console.log("mean satisfaction:", ComplaintReview.meanSatisfaction(march))
})

Effect.runPromise(Effect.provide(program, MemoryEventStore.layer)).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
