/**
 * Compensation rules: what a customer receives when a promise is broken. A rule is a list of
 * tiers by lateness, measured in business or clock time; the latest tier whose threshold the
 * lateness reaches decides the award (an amount of money or a voucher). Pure data and one pure
 * function, so an obligation can snapshot its rule when it starts and apply it later.
 */
import { Schema } from "effect"

/** Money, in minor units (fen, cents) to stay exact. */
export const Amount = Schema.TaggedStruct("Amount", {
  minorUnits: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  currency: Schema.String
})

/** A voucher, described as the customer will see it. */
export const Voucher = Schema.TaggedStruct("Voucher", { description: Schema.String })

/** What a tier awards. */
export const Award = Schema.Union([Amount, Voucher])
export type Award = typeof Award.Type

/** One tier: applies when lateness reaches `afterMinutes` (0 = any breach). */
export const Tier = Schema.Struct({
  afterMinutes: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  award: Award
})
export type Tier = typeof Tier.Type

/** A compensation rule: tiers in increasing order of lateness, and the unit lateness is measured in. */
export const Rule = Schema.Struct({
  /** "business": lateness counts only opening hours of the obligation's calendar; "calendar": clock time. */
  unit: Schema.Literals(["business", "calendar"]),
  tiers: Schema.Array(Tier).check(
    Schema.makeFilter((tiers: ReadonlyArray<Tier>) => {
      if (tiers.length === 0) return "a compensation rule needs at least one tier"
      for (let i = 1; i < tiers.length; i++) {
        if ((tiers[i] as Tier).afterMinutes <= (tiers[i - 1] as Tier).afterMinutes) {
          return "tiers must be listed in increasing order of lateness"
        }
      }
      return true
    })
  )
})
export type Rule = typeof Rule.Type

/** The tier (and its index) for a lateness in milliseconds, or undefined when none applies. */
export const tierFor = (
  rule: Rule,
  latenessMs: number
): { readonly index: number; readonly tier: Tier } | undefined => {
  let found: { readonly index: number; readonly tier: Tier } | undefined
  rule.tiers.forEach((tier, index) => {
    if (latenessMs >= tier.afterMinutes * 60_000) found = { index, tier }
  })
  return found
}

/** A rule with one tier per `[afterMinutes, minorUnits]` pair, in one currency. */
export const money = (unit: Rule["unit"], currency: string, tiers: ReadonlyArray<readonly [number, number]>): Rule => ({
  unit,
  tiers: tiers.map(([afterMinutes, minorUnits]) => ({
    afterMinutes,
    award: Amount.make({ minorUnits, currency })
  }))
})
