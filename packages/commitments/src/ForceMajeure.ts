/**
 * Force majeure: a declared period during which no time counts against the obligations it
 * affects. Declarations live in the commitment set (see `Commitment`), which records the
 * immediate notice and, after the period ends, the written explanation. This module holds the
 * scope schema and the two helpers a case application needs: whether a declaration affects a
 * case, and the pause reason under which the case's obligations are paused for it.
 */
import { Schema } from "effect"

/** The facts of a case that commitments and declarations are matched on. */
export const CaseProfile = Schema.Struct({
  channel: Schema.optionalKey(Schema.String),
  severity: Schema.optionalKey(Schema.String),
  priority: Schema.optionalKey(Schema.String),
  tier: Schema.optionalKey(Schema.String),
  product: Schema.optionalKey(Schema.String)
})
export type CaseProfile = typeof CaseProfile.Type

/** A condition on a case: every listed field must contain the case's value; an empty condition matches all. */
export const Condition = Schema.Struct({
  channel: Schema.optionalKey(Schema.Array(Schema.String)),
  severity: Schema.optionalKey(Schema.Array(Schema.String)),
  priority: Schema.optionalKey(Schema.Array(Schema.String)),
  tier: Schema.optionalKey(Schema.Array(Schema.String)),
  product: Schema.optionalKey(Schema.Array(Schema.String))
})
export type Condition = typeof Condition.Type

const fields = ["channel", "severity", "priority", "tier", "product"] as const

/** Whether a case satisfies a condition. A listed field the case lacks does not match. */
export const matches = (condition: Condition, profile: CaseProfile): boolean =>
  fields.every((field) => {
    const allowed = condition[field]
    if (allowed === undefined) return true
    const value = profile[field]
    return value !== undefined && allowed.includes(value)
  })

/** The pause reason obligations use for a declaration, so Resume names the same reason. */
export const pauseReason = (declarationId: string): string => `force-majeure:${declarationId}`

/** A declaration as the commitment set keeps it; instants are epoch milliseconds. */
export interface Declaration {
  readonly declarationId: string
  readonly scope: Condition
  readonly start: number
  readonly end: number | undefined
  readonly reason: string
  readonly noticeIssuedAt: number
  readonly explanation: string | undefined
}

/** Whether a declaration covers a case at an instant. */
export const affects = (declaration: Declaration, profile: CaseProfile, at: number): boolean =>
  matches(declaration.scope, profile) &&
  declaration.start <= at &&
  (declaration.end === undefined || at < declaration.end)
