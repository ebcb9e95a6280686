import { Commitment, Obligation, Presets, Target } from "@vouch/commitments"
import { Aggregate, CommandHandler, EventStore } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { Effect, Result } from "effect"
import type { Workflow } from "../src/index.ts"
import { at, calendars } from "./fixtures.ts"

/**
 * ACME's commitment letter on the China mainland calendar: a first reply within 8 business
 * hours for phone complaints (24 hours otherwise), a solution within 16 business hours (8 when
 * urgent), resolution within 5 working days, and a plan within 72 hours for a major problem.
 */
export const definitions: ReadonlyArray<Commitment.Definition> = [
  {
    ...Presets.firstReply,
    rules: [{ when: { channel: ["phone"] }, target: Target.businessHours(8, "cn-mainland") }]
  },
  {
    ...Presets.solutionProposed,
    rules: [{ when: { priority: ["urgent"] }, target: Target.businessHours(8, "cn-mainland") }],
    fallback: Target.businessHours(16, "cn-mainland")
  },
  {
    id: "resolution",
    name: "Resolved within 5 working days",
    milestone: "Resolution",
    rules: [],
    fallback: Target.workingDays(5, "cn-mainland"),
    warnings: [50, 75, 90],
    pauseStates: ["AwaitingCustomer"],
    reopen: "Accumulate",
    retarget: "KeepStart"
  },
  Presets.majorProblemPlan
]

export const config: Workflow.Config = { commitmentSetId: "acme", calendars }

/** Drafts and publishes the set, effective from 2024-01-01. */
export const publishCommitments = Effect.gen(function* () {
  const stream = Result.getOrThrow(Aggregate.streamId(Commitment.aggregate, "acme"))
  yield* CommandHandler.handle(
    Commitment.aggregate,
    stream,
    Commitment.DraftSet.make({
      setId: "acme",
      name: "ACME service commitment letter",
      definitions,
      at: at("2024-01-01T00:00:00Z")
    })
  )
  yield* CommandHandler.handle(
    Commitment.aggregate,
    stream,
    Commitment.Publish.make({ at: at("2024-01-01T00:00:00Z") })
  )
})

export const obligations = Obligation.makeAggregate(calendars)

/** The decoded events of an obligation stream. */
export const obligationEvents = (
  streamId: string
): Effect.Effect<ReadonlyArray<Obligation.Event>, unknown, EventStore.EventStore> =>
  Effect.flatMap(EventStore.readWholeStream(streamId), (recorded) =>
    Effect.fromResult(Aggregate.decodeAll(Obligation.events, recorded))
  )

/** An obligation's state. */
export const obligation = (streamId: string): Effect.Effect<Obligation.State, unknown, EventStore.EventStore> =>
  Effect.map(Aggregate.load(obligations, streamId), (l) => l.state)

/** Runs on a fresh memory store. */
export const run = <A, E>(effect: Effect.Effect<A, E, EventStore.EventStore>) =>
  Effect.runPromise(Effect.provide(effect, MemoryEventStore.layer) as Effect.Effect<A, E>)
