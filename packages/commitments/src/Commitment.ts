/**
 * A commitment set is the published promises of one organisation (the commitment letter): for
 * each measured milestone, ordered rules that pick a target by the case's channel, severity,
 * priority, customer tier and product (first match wins, with a fallback), and the terms every
 * obligation under it runs with. It is drafted, published, amended and retired; each
 * publication or amendment is a version with an effective instant, and a case keeps the version
 * it started under (obligations snapshot their terms).
 *
 * An amendment that changes what customers are promised must be announced at least
 * `noticeDays` (default 30) before it takes effect; internal changes (warning thresholds, which
 * case states pause) may take effect at once. Force-majeure declarations are recorded here too,
 * with their immediate notice and, once they end, the written explanation.
 */
import { Aggregate, Decider, EventCatalog } from "@vouch/core"
import { DateTime, Result, Schema } from "effect"
import * as Compensation from "./Compensation.ts"
import * as ForceMajeure from "./ForceMajeure.ts"
import * as Obligation from "./Obligation.ts"
import * as Target from "./Target.ts"

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

/** One rule: when the case matches, this is the target. */
export const Rule = Schema.Struct({ when: ForceMajeure.Condition, target: Target.Target })
export type Rule = typeof Rule.Type

/** One published promise: what is measured, for which cases, by when, and what follows. */
export const Definition = Schema.Struct({
  /** Stable within the set, e.g. "first-reply". */
  id: Schema.String.check(Schema.isMinLength(1)),
  name: Schema.String,
  milestone: Obligation.Milestone,
  /** Ordered: the first rule whose condition matches gives the target. */
  rules: Schema.Array(Rule),
  /** The target when no rule matches; without one, unmatched cases get no obligation. */
  fallback: Schema.optionalKey(Target.Target),
  warnings: Schema.Array(Schema.Finite.check(Schema.isBetween({ minimum: 1, maximum: 99 }))),
  pauseStates: Schema.Array(Schema.String),
  compensation: Schema.optionalKey(Compensation.Rule),
  reopen: Obligation.ReopenPolicy,
  retarget: Obligation.RetargetPolicy
})
export type Definition = typeof Definition.Type

/** What customers are promised by a definition: everything but internal handling. */
const promised = (definitions: ReadonlyArray<Definition>): string =>
  JSON.stringify(
    Schema.encodeSync(Schema.Array(Definition))(definitions).map(
      ({ warnings: _w, pauseStates: _p, name: _n, ...rest }) => rest
    )
  )

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

const Instant = Schema.DateTimeUtcFromString

/** A set was drafted. */
export const CommitmentSetDrafted = Schema.TaggedStruct("CommitmentSetDrafted", {
  setId: Schema.String,
  name: Schema.String,
  noticeDays: Schema.Int,
  definitions: Schema.Array(Definition),
  at: Instant
})
/** A draft was changed before publication. */
export const DraftRevised = Schema.TaggedStruct("DraftRevised", { definitions: Schema.Array(Definition), at: Instant })
/** Version 1 took effect (the letter takes effect on signing). */
export const CommitmentSetPublished = Schema.TaggedStruct("CommitmentSetPublished", {
  version: Schema.Int,
  effectiveFrom: Instant,
  at: Instant
})
/** A new version, announced at `at`, takes effect at `effectiveFrom`. */
export const CommitmentSetAmended = Schema.TaggedStruct("CommitmentSetAmended", {
  version: Schema.Int,
  definitions: Schema.Array(Definition),
  effectiveFrom: Instant,
  changesPromises: Schema.Boolean,
  at: Instant
})
/** No new case is measured from `effectiveFrom` on. */
export const CommitmentSetRetired = Schema.TaggedStruct("CommitmentSetRetired", {
  effectiveFrom: Instant,
  at: Instant
})
/** A force-majeure period began. */
export const ForceMajeureDeclared = Schema.TaggedStruct("ForceMajeureDeclared", {
  declarationId: Schema.String,
  scope: ForceMajeure.Condition,
  start: Instant,
  reason: Schema.String,
  at: Instant
})
/** Customers were notified at once of a declaration. */
export const ForceMajeureNoticeIssued = Schema.TaggedStruct("ForceMajeureNoticeIssued", {
  declarationId: Schema.String,
  notice: Schema.String,
  at: Instant
})
/** A force-majeure period ended. */
export const ForceMajeureEnded = Schema.TaggedStruct("ForceMajeureEnded", {
  declarationId: Schema.String,
  end: Instant,
  at: Instant
})
/** The written explanation filed after a period ended. */
export const ForceMajeureExplained = Schema.TaggedStruct("ForceMajeureExplained", {
  declarationId: Schema.String,
  explanation: Schema.String,
  at: Instant
})

/** Every commitment-set event. */
export const Event = Schema.Union([
  CommitmentSetDrafted,
  DraftRevised,
  CommitmentSetPublished,
  CommitmentSetAmended,
  CommitmentSetRetired,
  ForceMajeureDeclared,
  ForceMajeureNoticeIssued,
  ForceMajeureEnded,
  ForceMajeureExplained
])
export type Event = typeof Event.Type

/** The event catalog: type names `commitments/<Tag>`. */
export const events: EventCatalog.EventCatalog<Event> = EventCatalog.make("commitments", Event)

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** Draft a new set. */
export const DraftSet = Schema.TaggedStruct("DraftSet", {
  setId: Schema.String,
  name: Schema.String,
  noticeDays: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  definitions: Schema.Array(Definition),
  at: Instant
})
/** Replace the draft's definitions. */
export const ReviseDraft = Schema.TaggedStruct("ReviseDraft", { definitions: Schema.Array(Definition), at: Instant })
/** Publish the draft as version 1, effective at `effectiveFrom` (default: now). */
export const Publish = Schema.TaggedStruct("Publish", { at: Instant, effectiveFrom: Schema.optionalKey(Instant) })
/** Announce a new version. */
export const Amend = Schema.TaggedStruct("Amend", {
  definitions: Schema.Array(Definition),
  effectiveFrom: Instant,
  at: Instant
})
/** Retire the set. */
export const Retire = Schema.TaggedStruct("Retire", { at: Instant, effectiveFrom: Schema.optionalKey(Instant) })
/** Declare force majeure; the notice goes out with the declaration. */
export const DeclareForceMajeure = Schema.TaggedStruct("DeclareForceMajeure", {
  declarationId: Schema.String,
  scope: ForceMajeure.Condition,
  start: Instant,
  reason: Schema.String,
  notice: Schema.String.check(Schema.isMinLength(1)),
  at: Instant
})
/** End a force-majeure period. */
export const EndForceMajeure = Schema.TaggedStruct("EndForceMajeure", {
  declarationId: Schema.String,
  end: Instant,
  at: Instant
})
/** File the written explanation after a period ended. */
export const ExplainForceMajeure = Schema.TaggedStruct("ExplainForceMajeure", {
  declarationId: Schema.String,
  explanation: Schema.String.check(Schema.isMinLength(1)),
  at: Instant
})

/** Every commitment-set command. */
export const Command = Schema.Union([
  DraftSet,
  ReviseDraft,
  Publish,
  Amend,
  Retire,
  DeclareForceMajeure,
  EndForceMajeure,
  ExplainForceMajeure
])
export type Command = typeof Command.Type

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** The command does not fit the set's lifecycle status. */
export class InvalidLifecycle extends Schema.TaggedError<InvalidLifecycle>()("InvalidLifecycle", {
  status: Schema.String,
  command: Schema.String
}) {}

/** An amendment that changes promises takes effect before the notice period is over. */
export class NoticePeriodTooShort extends Schema.TaggedError<NoticePeriodTooShort>()("NoticePeriodTooShort", {
  announcedAt: Schema.String,
  effectiveFrom: Schema.String,
  earliestEffectiveFrom: Schema.String,
  noticeDays: Schema.Int
}) {
  override get message(): string {
    return `An amendment that changes what customers are promised must be announced ${this.noticeDays} days before it takes effect: announced ${this.announcedAt}, so it can take effect at ${this.earliestEffectiveFrom} at the earliest, not ${this.effectiveFrom}`
  }
}

/** An effective instant before the announcement. */
export class EffectiveInThePast extends Schema.TaggedError<EffectiveInThePast>()("EffectiveInThePast", {
  effectiveFrom: Schema.String,
  at: Schema.String
}) {}

/** Definition ids repeat within the set. */
export class DuplicateDefinition extends Schema.TaggedError<DuplicateDefinition>()("DuplicateDefinition", {
  id: Schema.String
}) {}

/** A force-majeure step out of order (unknown id, already ended, not ended yet, already explained). */
export class ForceMajeureRefused extends Schema.TaggedError<ForceMajeureRefused>()("ForceMajeureRefused", {
  declarationId: Schema.String,
  reason: Schema.String
}) {}

/** Every refusal. */
export type Error =
  | InvalidLifecycle
  | NoticePeriodTooShort
  | EffectiveInThePast
  | DuplicateDefinition
  | ForceMajeureRefused

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/** One version of the set and the instant it takes effect (epoch millis). */
export interface SetVersion {
  readonly version: number
  readonly effectiveFrom: number
  readonly definitions: ReadonlyArray<Definition>
}

/** A commitment set's state. */
export interface State {
  readonly status: "None" | "Draft" | "Published" | "Retired"
  readonly setId: string
  readonly name: string
  readonly noticeDays: number
  readonly draft: ReadonlyArray<Definition>
  readonly versions: ReadonlyArray<SetVersion>
  readonly retiredFrom: number | undefined
  readonly forceMajeure: Readonly<Record<string, ForceMajeure.Declaration>>
}

/** Before the set is drafted. */
export const initialState: State = {
  status: "None",
  setId: "",
  name: "",
  noticeDays: 30,
  draft: [],
  versions: [],
  retiredFrom: undefined,
  forceMajeure: {}
}

const ms = (at: DateTime.DateTime): number => DateTime.toEpochMillis(at)
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer U> ? Array<U> : T[K] }

/** Applies one event. */
export const evolve = (draft: unknown, event: Event): void => {
  const state = draft as Omit<Mutable<State>, "forceMajeure"> & {
    forceMajeure: Record<string, { -readonly [K in keyof ForceMajeure.Declaration]: ForceMajeure.Declaration[K] }>
  }
  switch (event._tag) {
    case "CommitmentSetDrafted":
      state.status = "Draft"
      state.setId = event.setId
      state.name = event.name
      state.noticeDays = event.noticeDays
      state.draft = [...event.definitions]
      return
    case "DraftRevised":
      state.draft = [...event.definitions]
      return
    case "CommitmentSetPublished":
      state.status = "Published"
      state.versions.push({ version: event.version, effectiveFrom: ms(event.effectiveFrom), definitions: state.draft })
      state.draft = []
      return
    case "CommitmentSetAmended":
      state.versions.push({
        version: event.version,
        effectiveFrom: ms(event.effectiveFrom),
        definitions: event.definitions
      })
      return
    case "CommitmentSetRetired":
      state.status = "Retired"
      state.retiredFrom = ms(event.effectiveFrom)
      return
    case "ForceMajeureDeclared":
      state.forceMajeure[event.declarationId] = {
        declarationId: event.declarationId,
        scope: event.scope,
        start: ms(event.start),
        end: undefined,
        reason: event.reason,
        noticeIssuedAt: ms(event.at),
        explanation: undefined
      }
      return
    case "ForceMajeureNoticeIssued": {
      const declaration = state.forceMajeure[event.declarationId]
      if (declaration !== undefined) declaration.noticeIssuedAt = ms(event.at)
      return
    }
    case "ForceMajeureEnded": {
      const declaration = state.forceMajeure[event.declarationId]
      if (declaration !== undefined) declaration.end = ms(event.end)
      return
    }
    case "ForceMajeureExplained": {
      const declaration = state.forceMajeure[event.declarationId]
      if (declaration !== undefined) declaration.explanation = event.explanation
      return
    }
  }
}

const ok = (events: ReadonlyArray<Event>): Result.Result<ReadonlyArray<Event>, Error> => Result.succeed(events)
const refuse = (error: Error): Result.Result<ReadonlyArray<Event>, Error> => Result.fail(error)
const isoOf = (millis: number): string => new Date(millis).toISOString()

const duplicateId = (definitions: ReadonlyArray<Definition>): string | undefined => {
  const seen = new Set<string>()
  for (const d of definitions) {
    if (seen.has(d.id)) return d.id
    seen.add(d.id)
  }
  return undefined
}

/** The rules of a commitment set. */
export const decider: Decider.Decider<Command, State, Event, Error> = Decider.make<Command, State, Event, Error>({
  initialState,
  evolve: evolve as Decider.Decider<Command, State, Event, Error>["evolve"],
  decide: (command, state) => {
    const lifecycle = () => refuse(new InvalidLifecycle({ status: state.status, command: command._tag }))
    switch (command._tag) {
      case "DraftSet": {
        if (state.status !== "None") return lifecycle()
        const duplicate = duplicateId(command.definitions)
        if (duplicate !== undefined) return refuse(new DuplicateDefinition({ id: duplicate }))
        return ok([
          CommitmentSetDrafted.make({
            setId: command.setId,
            name: command.name,
            noticeDays: command.noticeDays ?? 30,
            definitions: command.definitions,
            at: command.at
          })
        ])
      }
      case "ReviseDraft": {
        if (state.status !== "Draft") return lifecycle()
        const duplicate = duplicateId(command.definitions)
        if (duplicate !== undefined) return refuse(new DuplicateDefinition({ id: duplicate }))
        return ok([DraftRevised.make({ definitions: command.definitions, at: command.at })])
      }
      case "Publish": {
        if (state.status !== "Draft") return lifecycle()
        const effectiveFrom = command.effectiveFrom ?? command.at
        if (ms(effectiveFrom) < ms(command.at)) {
          return refuse(new EffectiveInThePast({ effectiveFrom: isoOf(ms(effectiveFrom)), at: isoOf(ms(command.at)) }))
        }
        return ok([CommitmentSetPublished.make({ version: 1, effectiveFrom, at: command.at })])
      }
      case "Amend": {
        if (state.status !== "Published") return lifecycle()
        const duplicate = duplicateId(command.definitions)
        if (duplicate !== undefined) return refuse(new DuplicateDefinition({ id: duplicate }))
        const at = ms(command.at)
        const effective = ms(command.effectiveFrom)
        if (effective < at) return refuse(new EffectiveInThePast({ effectiveFrom: isoOf(effective), at: isoOf(at) }))
        const latest = state.versions[state.versions.length - 1] as SetVersion
        const changesPromises = promised(latest.definitions) !== promised(command.definitions)
        const earliest = at + state.noticeDays * 86_400_000
        if (changesPromises && effective < earliest) {
          return refuse(
            new NoticePeriodTooShort({
              announcedAt: isoOf(at),
              effectiveFrom: isoOf(effective),
              earliestEffectiveFrom: isoOf(earliest),
              noticeDays: state.noticeDays
            })
          )
        }
        return ok([
          CommitmentSetAmended.make({
            version: latest.version + 1,
            definitions: command.definitions,
            effectiveFrom: command.effectiveFrom,
            changesPromises,
            at: command.at
          })
        ])
      }
      case "Retire": {
        if (state.status !== "Published") return lifecycle()
        return ok([CommitmentSetRetired.make({ effectiveFrom: command.effectiveFrom ?? command.at, at: command.at })])
      }
      case "DeclareForceMajeure": {
        if (state.status !== "Published") return lifecycle()
        if (state.forceMajeure[command.declarationId] !== undefined) {
          return refuse(new ForceMajeureRefused({ declarationId: command.declarationId, reason: "already declared" }))
        }
        return ok([
          ForceMajeureDeclared.make({
            declarationId: command.declarationId,
            scope: command.scope,
            start: command.start,
            reason: command.reason,
            at: command.at
          }),
          ForceMajeureNoticeIssued.make({
            declarationId: command.declarationId,
            notice: command.notice,
            at: command.at
          })
        ])
      }
      case "EndForceMajeure": {
        const declaration = state.forceMajeure[command.declarationId]
        if (declaration === undefined || declaration.end !== undefined) {
          return refuse(
            new ForceMajeureRefused({
              declarationId: command.declarationId,
              reason: declaration === undefined ? "not declared" : "already ended"
            })
          )
        }
        if (ms(command.end) < declaration.start) {
          return refuse(
            new ForceMajeureRefused({ declarationId: command.declarationId, reason: "ends before it starts" })
          )
        }
        return ok([ForceMajeureEnded.make({ declarationId: command.declarationId, end: command.end, at: command.at })])
      }
      case "ExplainForceMajeure": {
        const declaration = state.forceMajeure[command.declarationId]
        const reason =
          declaration === undefined
            ? "not declared"
            : declaration.end === undefined
              ? "the period has not ended yet"
              : declaration.explanation !== undefined
                ? "already explained"
                : undefined
        if (reason !== undefined)
          return refuse(new ForceMajeureRefused({ declarationId: command.declarationId, reason }))
        return ok([
          ForceMajeureExplained.make({
            declarationId: command.declarationId,
            explanation: command.explanation,
            at: command.at
          })
        ])
      }
    }
  }
})

/** The commitment-set aggregate; streams are `commitment-set-<id>`. */
export const aggregate: Aggregate.Aggregate<Command, State, Event, Error> = Aggregate.make({
  category: "commitment-set",
  decider,
  events
})

// ---------------------------------------------------------------------------------------------
// Matching cases
// ---------------------------------------------------------------------------------------------

/** The version in effect at `at`, if the set is published then and not retired. */
export const versionAt = (state: State, at: DateTime.DateTime): SetVersion | undefined => {
  const t = ms(at)
  if (state.retiredFrom !== undefined && t >= state.retiredFrom) return undefined
  let found: SetVersion | undefined
  for (const version of state.versions) if (version.effectiveFrom <= t) found = version
  return found
}

/** One commitment that applies to a case, ready to become an `Obligation.Start`. */
export interface Applicable {
  /** `<setId>/<definitionId>`. */
  readonly commitmentId: string
  readonly commitmentVersion: number
  readonly milestone: Obligation.Milestone
  readonly terms: Obligation.Terms
  /** Index of the matching rule, or "fallback". */
  readonly matchedRule: number | "fallback"
}

/** The terms one definition gives a case: first matching rule, else the fallback, else none. */
export const termsFor = (
  definition: Definition,
  profile: ForceMajeure.CaseProfile
): { readonly terms: Obligation.Terms; readonly matchedRule: number | "fallback" } | undefined => {
  const index = definition.rules.findIndex((rule) => ForceMajeure.matches(rule.when, profile))
  const target = index >= 0 ? definition.rules[index]?.target : definition.fallback
  if (target === undefined) return undefined
  return {
    matchedRule: index >= 0 ? index : "fallback",
    terms: {
      target,
      warnings: definition.warnings,
      pauseStates: definition.pauseStates,
      ...(definition.compensation === undefined ? {} : { compensation: definition.compensation }),
      reopen: definition.reopen,
      retarget: definition.retarget
    }
  }
}

/** Every commitment of the version in effect at `at` that applies to a case, optionally for one milestone. */
export const match = (
  state: State,
  profile: ForceMajeure.CaseProfile,
  at: DateTime.DateTime,
  milestone?: Obligation.Milestone
): ReadonlyArray<Applicable> => {
  const version = versionAt(state, at)
  if (version === undefined) return []
  const out: Array<Applicable> = []
  for (const definition of version.definitions) {
    if (milestone !== undefined && JSON.stringify(definition.milestone) !== JSON.stringify(milestone)) continue
    const found = termsFor(definition, profile)
    if (found === undefined) continue
    out.push({
      commitmentId: `${state.setId}/${definition.id}`,
      commitmentVersion: version.version,
      milestone: definition.milestone,
      terms: found.terms,
      matchedRule: found.matchedRule
    })
  }
  return out
}

/** Force-majeure declarations that cover a case at `at`. */
export const forceMajeureAffecting = (
  state: State,
  profile: ForceMajeure.CaseProfile,
  at: DateTime.DateTime
): ReadonlyArray<ForceMajeure.Declaration> =>
  Object.values(state.forceMajeure).filter((declaration) => ForceMajeure.affects(declaration, profile, ms(at)))
