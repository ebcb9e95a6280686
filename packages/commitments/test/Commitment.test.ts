import { Decider } from "@vouch/core"
import { DeciderSpec } from "@vouch/testing"
import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Commitment, Presets, Target } from "../src/index.ts"
import { at } from "./fixtures.ts"

const spec = DeciderSpec.make(Commitment.decider)

const firstReply: Commitment.Definition = {
  ...Presets.firstReply,
  rules: [
    { when: { tier: ["premium"] }, target: Target.hours(4) },
    { when: { channel: ["hotline"], severity: ["major"] }, target: Target.hours(8) }
  ]
}

const drafted = Commitment.CommitmentSetDrafted.make({
  setId: "acme",
  name: "ACME service commitment letter",
  noticeDays: 30,
  definitions: [firstReply, Presets.majorProblemPlan],
  at: at("2024-01-02T00:00:00Z")
})
const published = Commitment.CommitmentSetPublished.make({
  version: 1,
  effectiveFrom: at("2024-01-02T00:00:00Z"),
  at: at("2024-01-02T00:00:00Z")
})

const decideAll = (events: ReadonlyArray<Commitment.Event>, command: Commitment.Command) =>
  Result.getOrThrow(
    Commitment.decider.decide(command, Decider.fold(Commitment.decider, events)) as Result.Result<
      ReadonlyArray<Commitment.Event>,
      never
    >
  )

describe("Commitment lifecycle", () => {
  it("drafted, published, amended, retired", () => {
    spec
      .given([drafted])
      .when(Commitment.Publish.make({ at: at("2024-01-02T00:00:00Z") }))
      .thenEvents([published])
    spec
      .given([])
      .when(Commitment.Publish.make({ at: at("2024-01-02T00:00:00Z") }))
      .thenFails({
        _tag: "InvalidLifecycle"
      })
    const retired = decideAll([drafted, published], Commitment.Retire.make({ at: at("2024-06-01T00:00:00Z") }))
    const state = Decider.fold(Commitment.decider, [drafted, published, ...retired])
    expect(state.status).toBe("Retired")
    expect(Commitment.match(state, {}, at("2024-07-01T00:00:00Z"))).toEqual([])
  })

  it("an amendment that changes promises needs 30 days' notice; an earlier date is refused with a clear error", () => {
    const faster = [{ ...firstReply, fallback: Target.hours(12) }, Presets.majorProblemPlan]
    const refusal = spec
      .given([drafted, published])
      .when(
        Commitment.Amend.make({
          definitions: faster,
          effectiveFrom: at("2024-03-20T00:00:00Z"),
          at: at("2024-03-01T00:00:00Z")
        })
      )
      .thenFails({ _tag: "NoticePeriodTooShort", noticeDays: 30, earliestEffectiveFrom: "2024-03-31T00:00:00.000Z" })
    expect(refusal.message).toMatch(/announced 30 days before it takes effect/)
    const [amended] = decideAll(
      [drafted, published],
      Commitment.Amend.make({
        definitions: faster,
        effectiveFrom: at("2024-03-31T00:00:00Z"),
        at: at("2024-03-01T00:00:00Z")
      })
    )
    expect(amended).toMatchObject({ _tag: "CommitmentSetAmended", version: 2, changesPromises: true })
  })

  it("internal changes (warning thresholds) may take effect at once", () => {
    const [amended] = decideAll(
      [drafted, published],
      Commitment.Amend.make({
        definitions: [{ ...firstReply, warnings: [80] }, Presets.majorProblemPlan],
        effectiveFrom: at("2024-03-01T00:00:00Z"),
        at: at("2024-03-01T00:00:00Z")
      })
    )
    expect(amended).toMatchObject({ changesPromises: false, version: 2 })
  })

  it("cases keep the version they started under; new cases get the amended one", () => {
    const amended = decideAll(
      [drafted, published],
      Commitment.Amend.make({
        definitions: [{ ...firstReply, fallback: Target.hours(12) }],
        effectiveFrom: at("2024-04-01T00:00:00Z"),
        at: at("2024-03-01T00:00:00Z")
      })
    )
    const state = Decider.fold(Commitment.decider, [drafted, published, ...amended])
    const before = Commitment.match(state, { channel: "email" }, at("2024-03-15T00:00:00Z"), "FirstReply")
    const after = Commitment.match(state, { channel: "email" }, at("2024-04-02T00:00:00Z"), "FirstReply")
    expect(before[0]).toMatchObject({ commitmentVersion: 1, terms: { target: Target.hours(24) } })
    expect(after[0]).toMatchObject({ commitmentVersion: 2, terms: { target: Target.hours(12) } })
  })
})

describe("Commitment matching", () => {
  const state = Decider.fold(Commitment.decider, [drafted, published])
  const when = at("2024-02-01T00:00:00Z")

  it("ordered rules, first match wins, with a fallback", () => {
    const premium = Commitment.match(state, { tier: "premium", channel: "hotline", severity: "major" }, when)
    expect(premium.map((a) => [a.commitmentId, a.matchedRule])).toEqual([
      ["acme/first-reply", 0],
      ["acme/major-problem-plan", 0]
    ])
    expect(premium[0]?.terms.target).toEqual(Target.hours(4))
    const hotline = Commitment.match(state, { channel: "hotline", severity: "major" }, when, "FirstReply")
    expect(hotline[0]).toMatchObject({ matchedRule: 1, terms: { target: Target.hours(8) } })
    const plain = Commitment.match(state, { channel: "email", severity: "minor" }, when)
    expect(plain.map((a) => [a.commitmentId, a.matchedRule])).toEqual([["acme/first-reply", "fallback"]])
  })
})

describe("Force majeure", () => {
  const base = [drafted, published]
  const declare = Commitment.DeclareForceMajeure.make({
    declarationId: "typhoon-2024-09",
    scope: { product: ["delivery"] },
    start: at("2024-09-15T00:00:00Z"),
    reason: "Typhoon Bebinca closed the Shanghai depots",
    notice: "Deliveries in Shanghai are suspended during the typhoon; your case clocks are paused.",
    at: at("2024-09-15T01:00:00Z")
  })

  it("a declaration issues its notice at once", () => {
    const events = decideAll(base, declare)
    expect(events.map((e) => e._tag)).toEqual(["ForceMajeureDeclared", "ForceMajeureNoticeIssued"])
    const state = Decider.fold(Commitment.decider, [...base, ...events])
    expect(Commitment.forceMajeureAffecting(state, { product: "delivery" }, at("2024-09-16T00:00:00Z"))).toHaveLength(1)
    expect(Commitment.forceMajeureAffecting(state, { product: "billing" }, at("2024-09-16T00:00:00Z"))).toHaveLength(0)
  })

  it("the written explanation comes once the period ended, and only once", () => {
    const declared = [...base, ...decideAll(base, declare)]
    const explain = Commitment.ExplainForceMajeure.make({
      declarationId: "typhoon-2024-09",
      explanation: "Depots reopened on 17 September; 412 deliveries were delayed by 2 days.",
      at: at("2024-09-18T00:00:00Z")
    })
    spec
      .given(declared)
      .when(explain)
      .thenFails({ _tag: "ForceMajeureRefused", reason: "the period has not ended yet" })
    const ended = [
      ...declared,
      ...decideAll(
        declared,
        Commitment.EndForceMajeure.make({
          declarationId: "typhoon-2024-09",
          end: at("2024-09-17T00:00:00Z"),
          at: at("2024-09-17T00:00:00Z")
        })
      )
    ]
    const explained = [...ended, ...decideAll(ended, explain)]
    expect(explained[explained.length - 1]?._tag).toBe("ForceMajeureExplained")
    spec.given(explained).when(explain).thenFails({ reason: "already explained" })
  })
})

describe("Presets", () => {
  it("every preset is a valid definition and round-trips through JSON", () => {
    const all = Presets.all("cn-mainland")
    expect(all.map((d) => d.id)).toEqual([
      "first-reply",
      "solution-proposed",
      "major-problem-plan",
      "consultation-reply",
      "complex-initial-solution",
      "return-processed",
      "feedback-reply",
      "repair-completed"
    ])
    const codec = Schema.Array(Commitment.Definition)
    expect(Schema.decodeUnknownSync(codec)(JSON.parse(JSON.stringify(Schema.encodeSync(codec)(all))))).toEqual(all)
  })
})
