import { CommandHandler, EventStore } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { Complaint, Workflow } from "../src/index.ts"
import { by, receive } from "./fixtures.ts"
import { config, obligation, obligationEvents, publishCommitments, run } from "./setup.ts"

const handle = (command: Complaint.Command, id = "c-1") =>
  CommandHandler.handle(Complaint.aggregate, Complaint.streamId(id), command)
const firstReply = Workflow.obligationStreamId("c-1", "acme/first-reply")
const solution = Workflow.obligationStreamId("c-1", "acme/solution-proposed")
const resolution = Workflow.obligationStreamId("c-1", "acme/resolution")
const majorPlan = Workflow.obligationStreamId("c-1", "acme/major-problem-plan")

/** Every event in the store, as (stream, version, type) triples. */
const everything = Effect.map(
  EventStore.EventStore.use((store) => store.readAll({ limit: 10_000 })),
  (events) => events.map((e) => `${e.streamId}@${e.streamVersion}:${e.eventType}`)
)

describe("Workflow", () => {
  it("starts the matching obligations on receipt, and the major-problem plan once assessed major", () =>
    run(
      Effect.gen(function* () {
        yield* publishCommitments
        yield* handle(receive())
        expect(yield* Workflow.catchUp(config)).toMatchObject({ issued: 3, refused: 0 })
        expect((yield* obligation(firstReply)).status).toBe("Running")
        expect((yield* obligation(solution)).status).toBe("Running")
        expect((yield* obligation(resolution)).status).toBe("Running")
        expect((yield* obligation(majorPlan)).status).toBe("NotStarted")
        yield* handle(
          Complaint.Assess.make({
            severity: "major",
            priority: "urgent",
            impact: "i",
            ...by("li", "2024-03-11T01:00:00Z")
          })
        )
        yield* Workflow.catchUp(config)
        expect((yield* obligation(majorPlan)).status).toBe("Running")
        // Urgent priority re-targets the solution commitment (16 → 8 business hours).
        const retargeted = (yield* obligationEvents(solution)).find((e) => e._tag === "ObligationRetargeted")
        expect(retargeted).toMatchObject({ target: { _tag: "BusinessDuration", amount: 8 } })
      })
    ))

  it("pauses and resumes with the case; a reply meets the first reply; a new message starts a next-reply cycle", () =>
    run(
      Effect.gen(function* () {
        yield* publishCommitments
        yield* handle(receive())
        yield* handle(Complaint.AddInternalNote.make({ note: "n", ...by("li", "2024-03-11T01:00:00Z") }))
        yield* Workflow.catchUp(config)
        expect((yield* obligation(firstReply)).status).toBe("Running")
        yield* handle(Complaint.Reply.make({ message: "on it", ...by("li", "2024-03-11T01:30:00Z") }))
        yield* handle(
          Complaint.RequestCustomerInput.make({ request: "statement", ...by("li", "2024-03-11T02:00:00Z") })
        )
        yield* Workflow.catchUp(config)
        expect((yield* obligation(firstReply)).status).toBe("Met")
        expect((yield* obligation(solution)).status).toBe("Paused")
        expect((yield* obligation(resolution)).status).toBe("Paused")
        yield* handle(
          Complaint.RecordCustomerResponse.make({ message: "here", ...by("cust-7", "2024-03-12T02:00:00Z", "email") })
        )
        yield* handle(
          Complaint.RecordCustomerMessage.make({ message: "and?", ...by("cust-7", "2024-03-12T03:00:00Z") })
        )
        yield* Workflow.catchUp(config)
        expect((yield* obligation(solution)).status).toBe("Running")
        const reply = yield* obligation(firstReply)
        // The next-reply cycle started at the response (the oldest unanswered message), not the later one.
        expect(reply).toMatchObject({
          status: "Running",
          cycle: { number: 2, startedAt: Date.parse("2024-03-12T02:00:00Z") }
        })
      })
    ))

  it("a merged duplicate's obligations are cancelled and the survivor takes the earliest receipt", () =>
    run(
      Effect.gen(function* () {
        yield* publishCommitments
        yield* handle(receive({ ...by("li", "2024-03-11T03:00:00Z") }))
        yield* handle(receive({ complaintId: "c-2", ...by("wang", "2024-03-11T01:00:00Z", "wechat") }), "c-2")
        yield* handle(
          Complaint.MergeInto.make({
            survivorId: "c-1",
            survivorCustomer: "cust-7",
            ...by("wang", "2024-03-11T04:00:00Z")
          }),
          "c-2"
        )
        yield* Workflow.catchUp(config)
        const duplicate = yield* obligation(Workflow.obligationStreamId("c-2", "acme/first-reply"))
        expect(duplicate.status).toBe("Cancelled")
        const survivor = yield* CommandHandler.handle(
          Complaint.aggregate,
          Complaint.streamId("c-1"),
          Complaint.AddInternalNote.make({ note: "merged", ...by("li", "2024-03-11T05:00:00Z") })
        )
        expect(survivor.state).toMatchObject({ receivedAt: Date.parse("2024-03-11T01:00:00Z"), duplicates: ["c-2"] })
      })
    ))

  it("is idempotent: replaying its input issues no duplicate command", () =>
    run(
      Effect.gen(function* () {
        yield* publishCommitments
        yield* handle(receive())
        yield* handle(Complaint.Reply.make({ message: "on it", ...by("li", "2024-03-11T01:30:00Z") }))
        yield* handle(
          Complaint.RequestCustomerInput.make({ request: "statement", ...by("li", "2024-03-11T02:00:00Z") })
        )
        yield* handle(
          Complaint.RecordCustomerResponse.make({ message: "here", ...by("cust-7", "2024-03-12T02:00:00Z") })
        )
        yield* handle(
          Complaint.ProposeSolution.make({
            solutionId: "s-1",
            description: "refund",
            ...by("li", "2024-03-12T03:00:00Z")
          })
        )
        yield* handle(receive({ complaintId: "c-2", ...by("wang", "2024-03-11T01:00:00Z", "wechat") }), "c-2")
        yield* handle(
          Complaint.MergeInto.make({
            survivorId: "c-1",
            survivorCustomer: "cust-7",
            ...by("wang", "2024-03-11T04:00:00Z")
          }),
          "c-2"
        )
        const first = yield* Workflow.catchUp(config)
        expect(first.issued).toBeGreaterThan(10)
        expect(first.refused).toBe(0)
        const before = yield* everything
        const again = yield* Workflow.catchUp(config)
        expect(again).toEqual({ examined: first.examined, issued: 0, duplicates: first.issued, refused: 0 })
        expect(yield* everything).toEqual(before)
      })
    ))

  it("runs as a durable subscription and resumes from its checkpoint; a second subscriber replaying everything adds nothing", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        yield* publishCommitments
        yield* handle(receive())
        const fiber = yield* Effect.forkChild(Workflow.run(config))
        const settle = Effect.gen(function* () {
          for (let i = 0; i < 200; i++) {
            yield* Effect.sleep("5 millis")
            if ((yield* obligation(resolution)).status !== "NotStarted") break
          }
        })
        yield* settle
        expect((yield* obligation(resolution)).status).toBe("Running")
        yield* handle(Complaint.Reply.make({ message: "on it", ...by("li", "2024-03-11T01:30:00Z") }))
        for (let i = 0; i < 200 && (yield* obligation(firstReply)).status !== "Met"; i++)
          yield* Effect.sleep("5 millis")
        expect((yield* obligation(firstReply)).status).toBe("Met")
        yield* Fiber.interrupt(fiber)
        const before = yield* everything
        // Another subscriber name starts from the beginning: every command it plans was handled already.
        const replay = yield* Effect.forkChild(Workflow.run({ ...config, name: "complaints-workflow-replay" }))
        yield* Effect.sleep("100 millis")
        yield* Fiber.interrupt(replay)
        expect(yield* everything).toEqual(before)
      }).pipe(Effect.provide(MemoryEventStore.layer))
    ))
})
