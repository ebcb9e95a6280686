/**
 * @vouch/commitments — published service commitments, the business calendars they are measured
 * on, obligations (one commitment applied to one case), breaches, compensation and the sweeper
 * that turns the passage of time into warnings and breaches. Every module is a namespace.
 */
export * as BusinessCalendar from "./BusinessCalendar.ts"
export * as Commitment from "./Commitment.ts"
export * as Compensation from "./Compensation.ts"
export * as Deadlines from "./Deadlines.ts"
export * as ForceMajeure from "./ForceMajeure.ts"
export * as Obligation from "./Obligation.ts"
export * as Presets from "./Presets.ts"
export * as Sweeper from "./Sweeper.ts"
export * as Target from "./Target.ts"
