import { CommandHandler, Projection } from "@vouch/core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { CaseBoard, Complaint, ComplaintReview, Workflow } from "../src/index.ts"
import { by, receive, toResolved } from "./fixtures.ts"
import { config, publishCommitments, run } from "./setup.ts"

const handle = (id: string, command: Complaint.Command) =>
  CommandHandler.handle(Complaint.aggregate, Complaint.streamId(id), command)

describe("Read models", () => {
  it("a merged duplicate leaves the volume and the board's open cases; open cases are listed per owner", () =>
    run(
      Effect.gen(function* () {
        yield* publishCommitments
        yield* handle("c-1", receive())
        yield* handle("c-2", receive({ complaintId: "c-2", ...by("wang", "2024-03-11T01:00:00Z", "wechat") }))
        yield* handle("c-3", receive({ complaintId: "c-3", customer: "cust-9", ...by("wang", "2024-03-11T02:00:00Z") }))
        yield* handle(
          "c-2",
          Complaint.MergeInto.make({
            survivorId: "c-1",
            survivorCustomer: "cust-7",
            ...by("wang", "2024-03-11T03:00:00Z")
          })
        )
        yield* Workflow.catchUp(config)
        const review = (yield* Projection.live(ComplaintReview.projection())).state
        expect(review.periods["2024-03"]?.received).toBe(2)
        const board = (yield* Projection.live(CaseBoard.projection)).state
        expect(board.cases["c-2"]).toMatchObject({ status: "Merged" })
        expect(board.cases["c-2"]?.nextDeadline).toBeUndefined()
        const byOwner = CaseBoard.openByOwner(board)
        expect(Object.keys(byOwner).sort()).toEqual(["li", "wang"])
        expect(byOwner.li?.map((r) => r.complaintId)).toEqual(["c-1"])
        expect(byOwner.wang?.map((r) => r.complaintId)).toEqual(["c-3"])
        // c-1's next deadline is its first reply, 8 business hours on the phone: Tuesday 09:30 Shanghai.
        expect(board.cases["c-1"]?.nextDeadline).toMatchObject({
          milestone: "FirstReply",
          due: Date.parse("2024-03-12T01:30:00Z")
        })
      })
    ))

  it("a reopened case closed again counts once, in the period of its last closure", () =>
    run(
      Effect.gen(function* () {
        for (const command of [
          ...toResolved("2024-03-29T01:00:00Z"),
          Complaint.Close.make({ rootCause: "billing", ...by("li", "2024-03-29T08:00:00Z") }),
          Complaint.Reopen.make({ reason: "again", ...by("li", "2024-04-02T01:00:00Z") }),
          Complaint.ProposeSolution.make({ solutionId: "s-2", description: "d", ...by("li", "2024-04-02T02:00:00Z") }),
          Complaint.Resolve.make({ summary: "done", ...by("li", "2024-04-02T03:00:00Z") }),
          Complaint.Close.make({ rootCause: "product-defect", ...by("li", "2024-04-02T04:00:00Z") }),
          Complaint.RecordFollowUp.make({ method: "Call", stayedSolved: false, ...by("li", "2024-04-09T04:00:00Z") })
        ]) {
          yield* handle("c-1", command)
        }
        const { periods } = (yield* Projection.live(ComplaintReview.projection())).state
        expect(periods["2024-03"]).toMatchObject({ received: 1, closed: {}, reopened: 0 })
        expect(periods["2024-04"]).toMatchObject({
          received: 0,
          closed: { "product-defect|phone|billing": 1 },
          reopened: 1,
          notSolved: 1
        })
      })
    ))
})
