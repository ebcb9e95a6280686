/**
 * The workflow between complaints and commitments: a process manager that reads complaint
 * events from the global log and drives the obligations the published commitments require.
 * On receipt it starts an obligation for every matching commitment (first reply, solution,
 * resolution, major-problem plan — matched by channel, severity, priority, tier and product); it
 * pauses and resumes them while the case waits on the customer, re-targets them when an
 * assessment changes the target, starts a next-reply cycle when the customer writes again (the
 * clock runs from the oldest unanswered message), meets each on the event that fulfils it,
 * starts reopen cycles under each commitment's reopen policy, and cancels them when the case is
 * merged into another (telling the survivor to absorb the duplicate).
 *
 * What to do for an event is a pure function of the complaint's history before it (`plan`), so
 * a replay plans exactly the same commands. Each command carries an id derived from the
 * complaint event's id, the commitment and the kind of command; the command handler finds a
 * repeated id in the target stream and appends nothing, which makes the subscription
 * idempotent: redelivering a batch, or replaying the whole log, issues no duplicate. It needs
 * only the `EventStore` and `CheckpointStore` services, so it runs on any store.
 */
import { type BusinessCalendar, Commitment, type ForceMajeure, Obligation, type Target } from "@vouch/commitments"
import {
  Aggregate,
  type CheckpointStore,
  CommandHandler,
  type Errors,
  EventStore,
  type Event as RecordedEvents,
  Subscription
} from "@vouch/core"
import { DateTime, Effect } from "effect"
import * as Complaint from "./Complaint.ts"

/** The milestones the workflow knows how to meet; commitments for other milestones are left to the application. */
export const drivenMilestones = ["FirstReply", "SolutionProposed", "Resolution", "MajorProblemPlan"] as const

/** The pause reason used while the case waits on the customer (the presets' `pauseStates`). */
export const awaitingCustomer = "AwaitingCustomer"

/** How the workflow is configured. */
export interface Config {
  /** The commitment set whose promises apply (stream `commitment-set-<id>`). */
  readonly commitmentSetId: string
  /** The calendars the commitments' targets name. */
  readonly calendars: BusinessCalendar.Registry
  /**
   * Whether an acknowledgement meets a first-reply commitment. Commitment definitions have no
   * field for it, so the application says it here; by default a person's acknowledgement counts
   * and an automatic one does not.
   */
  readonly acknowledgementMeetsFirstReply?: (commitmentId: string, mode: "Automatic" | "Person") => boolean
  /** The subscription's checkpoint name (default `complaints-workflow`). */
  readonly name?: string
  /** Bump when the workflow's logic changes meaning (default 1). */
  readonly version?: number
}

/** One obligation the workflow started for a complaint. */
export interface Tracked {
  readonly streamId: string
  readonly commitmentId: string
  readonly milestone: Obligation.Milestone
  readonly terms: Obligation.Terms
  /** Whether the current cycle is still running or paused (not met). */
  readonly open: boolean
  readonly paused: boolean
  readonly cancelled: boolean
}

/** What the workflow knows of one complaint. */
export interface CaseState {
  readonly complaintId: string
  readonly customer: string
  readonly channel: string
  readonly receivedAt: number
  readonly profile: ForceMajeure.CaseProfile
  /** A customer message waits for a public reply. */
  readonly unanswered: boolean
  readonly awaiting: boolean
  /** By commitment id. */
  readonly obligations: Readonly<Record<string, Tracked>>
}

/** One command the workflow sends, with its idempotency key. */
export type Planned =
  | {
      readonly _tag: "Obligation"
      readonly streamId: string
      readonly commandId: string
      readonly command: Obligation.Command
    }
  | {
      readonly _tag: "Complaint"
      readonly streamId: string
      readonly commandId: string
      readonly command: Complaint.Command
    }

/** What planning needs besides the complaint's history. */
export interface Context {
  readonly commitments: Commitment.State
  readonly acknowledgementMeetsFirstReply: (commitmentId: string, mode: "Automatic" | "Person") => boolean
}

/** A complaint event with the id it was stored under. */
export interface Stored {
  readonly event: Complaint.Event
  readonly eventId: string
}

const defaultAcknowledgement = (_: string, mode: "Automatic" | "Person") => mode === "Person"

/** The obligation stream of one commitment applied to one complaint. */
export const obligationStreamId = (complaintId: string, commitmentId: string): string =>
  `obligation-${complaintId}-${commitmentId}`

const ms = (at: DateTime.DateTime): number => DateTime.toEpochMillis(at)
const driven = (milestone: Obligation.Milestone): boolean =>
  typeof milestone === "string" && (drivenMilestones as ReadonlyArray<string>).includes(milestone)
const sameTarget = (a: Target.Target, b: Target.Target): boolean => JSON.stringify(a) === JSON.stringify(b)

const matching = (context: Context, state: CaseState): ReadonlyArray<Commitment.Applicable> =>
  // A case keeps the commitment version in effect at its receipt.
  Commitment.match(context.commitments, state.profile, DateTime.makeUnsafe(state.receivedAt)).filter((a) =>
    driven(a.milestone)
  )

/**
 * Applies one complaint event to the workflow's view of the case and returns the commands it
 * calls for. `eventId` seeds the command ids.
 */
export const step = (
  context: Context,
  state: CaseState | undefined,
  event: Complaint.Event,
  eventId: string
): { readonly state: CaseState | undefined; readonly planned: ReadonlyArray<Planned> } => {
  if (event._tag === "ComplaintReceived") {
    if (state !== undefined) return { state, planned: [] }
    const fresh: CaseState = {
      complaintId: event.complaintId,
      customer: event.customer,
      channel: event.channel,
      receivedAt: ms(event.at),
      profile: {
        channel: event.channel,
        tier: event.tier,
        ...(event.product === undefined ? {} : { product: event.product })
      },
      unanswered: true,
      awaiting: false,
      obligations: {}
    }
    return startNew(context, fresh, event.at, eventId)
  }
  if (state === undefined) return { state, planned: [] }
  const planned: Array<Planned> = []
  const obligations: Record<string, Tracked> = { ...state.obligations }
  const send = (tracked: Tracked, kind: string, command: Obligation.Command) =>
    planned.push({
      _tag: "Obligation",
      streamId: tracked.streamId,
      commandId: `complaints-workflow:${eventId}:${tracked.commitmentId}:${kind}`,
      command
    })
  const live = (): ReadonlyArray<Tracked> => Object.values(obligations).filter((t) => !t.cancelled)
  const at = event.at
  const meet = (milestones: ReadonlyArray<string>, only?: (t: Tracked) => boolean) => {
    for (const t of live()) {
      if (!t.open || typeof t.milestone !== "string" || !milestones.includes(t.milestone)) continue
      if (only !== undefined && !only(t)) continue
      send(t, "meet", Obligation.Meet.make({ at }))
      obligations[t.commitmentId] = { ...t, open: false, paused: false }
    }
  }
  let next: CaseState = state

  switch (event._tag) {
    case "ComplaintAcknowledged": {
      const counts = (t: Tracked) => context.acknowledgementMeetsFirstReply(t.commitmentId, event.mode)
      const before = planned.length
      meet(["FirstReply"], counts)
      if (planned.length > before) next = { ...next, unanswered: false }
      break
    }
    case "AgentReplied":
    case "SolutionProposed": {
      // Both answer the customer publicly; internal notes never do.
      meet(["FirstReply"])
      if (event._tag === "SolutionProposed") meet(["SolutionProposed", "MajorProblemPlan"])
      next = { ...next, unanswered: false }
      break
    }
    case "CustomerResponded":
    case "CustomerMessaged": {
      if (event._tag === "CustomerResponded") {
        for (const t of live()) {
          if (!t.paused) continue
          send(t, "resume", Obligation.Resume.make({ at, reason: awaitingCustomer }))
          obligations[t.commitmentId] = { ...t, paused: false }
        }
        next = { ...next, awaiting: false }
      }
      // The clock of a next reply runs from the oldest unanswered message: only the first starts it.
      if (!next.unanswered) {
        for (const t of live()) {
          if (t.milestone !== "FirstReply" || t.open) continue
          send(t, "next-reply", Obligation.StartCycle.make({ at, reason: "NextReply" }))
          obligations[t.commitmentId] = { ...t, open: true }
        }
        next = { ...next, unanswered: true }
      }
      break
    }
    case "CustomerInputRequested": {
      for (const t of live()) {
        if (!t.open || t.paused || !t.terms.pauseStates.includes(awaitingCustomer)) continue
        send(t, "pause", Obligation.Pause.make({ at, reason: awaitingCustomer }))
        obligations[t.commitmentId] = { ...t, paused: true }
      }
      next = { ...next, awaiting: true }
      break
    }
    case "ComplaintResolved":
      meet(["Resolution"])
      break
    case "ComplaintReopened": {
      for (const t of live()) {
        if (t.open) continue
        send(t, "reopen", Obligation.StartCycle.make({ at, reason: "Reopened" }))
        obligations[t.commitmentId] = { ...t, open: t.terms.reopen !== "Ignore" }
      }
      next = { ...next, unanswered: true }
      break
    }
    case "ComplaintAssessed": {
      next = { ...next, profile: { ...next.profile, severity: event.severity, priority: event.priority } }
      const applicable = matching(context, next)
      const ids = new Set(applicable.map((a) => a.commitmentId))
      for (const a of applicable) {
        const t = obligations[a.commitmentId]
        if (t === undefined || t.cancelled || !t.open || sameTarget(t.terms.target, a.terms.target)) continue
        send(
          t,
          "retarget",
          Obligation.Retarget.make({
            at,
            target: a.terms.target,
            reason: `assessed ${event.severity}, priority ${event.priority}`
          })
        )
        obligations[a.commitmentId] = { ...t, terms: { ...t.terms, target: a.terms.target } }
      }
      // A commitment that no longer applies (a major complaint downgraded) stops measuring.
      for (const t of live()) {
        if (ids.has(t.commitmentId) || !t.open) continue
        send(t, "cancel", Obligation.Cancel.make({ at, reason: "no longer applies after assessment" }))
        obligations[t.commitmentId] = { ...t, open: false, cancelled: true }
      }
      const started = startNew(context, { ...next, obligations }, at, eventId)
      return { state: started.state, planned: [...planned, ...started.planned] }
    }
    case "ComplaintMerged": {
      // A merged duplicate's promises are not broken: they no longer apply.
      for (const t of live()) {
        send(t, "cancel", Obligation.Cancel.make({ at, reason: `merged into ${event.into}` }))
        obligations[t.commitmentId] = { ...t, open: false, cancelled: true }
      }
      planned.push({
        _tag: "Complaint",
        streamId: Complaint.streamId(event.into),
        commandId: `complaints-workflow:${eventId}:absorb`,
        command: Complaint.AbsorbDuplicate.make({
          duplicateId: state.complaintId,
          duplicateCustomer: state.customer,
          duplicateChannel: state.channel,
          duplicateReceivedAt: DateTime.makeUnsafe(state.receivedAt),
          actor: event.actor,
          channel: event.channel,
          at
        })
      })
      break
    }
    default:
      break
  }
  return { state: { ...next, obligations }, planned }
}

/** Starts every matching commitment not started yet, at `at`. */
const startNew = (
  context: Context,
  state: CaseState,
  at: DateTime.Utc,
  eventId: string
): { readonly state: CaseState; readonly planned: ReadonlyArray<Planned> } => {
  const obligations: Record<string, Tracked> = { ...state.obligations }
  const planned: Array<Planned> = []
  for (const a of matching(context, state)) {
    if (obligations[a.commitmentId] !== undefined) continue
    const streamId = obligationStreamId(state.complaintId, a.commitmentId)
    planned.push({
      _tag: "Obligation",
      streamId,
      commandId: `complaints-workflow:${eventId}:${a.commitmentId}:start`,
      command: Obligation.Start.make({
        obligationId: `${state.complaintId}-${a.commitmentId}`,
        caseId: state.complaintId,
        commitmentId: a.commitmentId,
        commitmentVersion: a.commitmentVersion,
        milestone: a.milestone,
        terms: a.terms,
        at
      })
    })
    // Started while waiting on the customer: paused at once, like the others.
    const paused = state.awaiting && a.terms.pauseStates.includes(awaitingCustomer)
    const tracked: Tracked = {
      streamId,
      commitmentId: a.commitmentId,
      milestone: a.milestone,
      terms: a.terms,
      open: true,
      paused,
      cancelled: false
    }
    if (paused) {
      planned.push({
        _tag: "Obligation",
        streamId,
        commandId: `complaints-workflow:${eventId}:${a.commitmentId}:pause`,
        command: Obligation.Pause.make({ at, reason: awaitingCustomer })
      })
    }
    obligations[a.commitmentId] = tracked
  }
  return { state: { ...state, obligations }, planned }
}

/** The commands for the complaint event at `index` of a complaint's history (a pure replay of what came before). */
export const plan = (context: Context, history: ReadonlyArray<Stored>, index: number): ReadonlyArray<Planned> => {
  let state: CaseState | undefined
  for (let i = 0; i < index; i++) {
    const stored = history[i] as Stored
    state = step(context, state, stored.event, stored.eventId).state
  }
  const current = history[index]
  return current === undefined ? [] : step(context, state, current.event, current.eventId).planned
}

/** The workflow's view of a complaint after its whole history. */
export const caseState = (context: Context, history: ReadonlyArray<Stored>): CaseState | undefined => {
  let state: CaseState | undefined
  for (const stored of history) state = step(context, state, stored.event, stored.eventId).state
  return state
}

/** What one batch did. */
export interface Report {
  /** Complaint events examined. */
  readonly examined: number
  /** Commands that appended events. */
  readonly issued: number
  /** Commands already handled (same command id) or that decided nothing. */
  readonly duplicates: number
  /** Commands the target refused (logged as a domain outcome, not retried). */
  readonly refused: number
}

/** Errors that stop the workflow: storage, schema and stream-id failures (domain refusals do not). */
export type WorkflowError = CommandHandler.HandleError | Errors.ReadError

const domainTags = new Set([
  "AlreadyStarted",
  "NotStarted",
  "NotOpen",
  "NotDue",
  "UnknownThreshold",
  "NotPausedFor",
  "CycleStillOpen",
  "NoCompensationDue",
  "CalendarNotFound",
  "NotReceived",
  "AlreadyReceived",
  "ComplaintAlreadyClosed",
  "ComplaintWasMerged",
  "InvalidTransition",
  "OwnershipChangeRefused",
  "InvalidOwnershipTransfer",
  "AlreadyAcknowledged",
  "NoSolution",
  "NotResolved",
  "RootCauseRequired",
  "UnknownSolution",
  "TrackerRequired",
  "TrackerNotApplicable",
  "InvalidMerge",
  "SurveyRefused"
])
type DomainError = Obligation.Error | Complaint.Error
const isDomain = (error: unknown): error is DomainError =>
  domainTags.has((error as { readonly _tag?: string })?._tag ?? "")

type Outcome = "issued" | "duplicate" | "refused"

/** The stream of a commitment set. */
const commitmentSetStream = (setId: string) => `${Commitment.aggregate.category}-${setId}`

/** Handles one batch of the global log: plans and sends the commands its complaint events call for. */
export const handleBatch =
  (config: Config) =>
  (batch: ReadonlyArray<RecordedEvents.RecordedEvent>): Effect.Effect<Report, WorkflowError, EventStore.EventStore> =>
    Effect.gen(function* () {
      const complaintEvents = batch.filter((recorded) => Complaint.events.owns(recorded.eventType))
      if (complaintEvents.length === 0) return { examined: 0, issued: 0, duplicates: 0, refused: 0 }
      const set = yield* Aggregate.load(Commitment.aggregate, commitmentSetStream(config.commitmentSetId))
      const context: Context = {
        commitments: set.state,
        acknowledgementMeetsFirstReply: config.acknowledgementMeetsFirstReply ?? defaultAcknowledgement
      }
      const obligations = Obligation.makeAggregate(config.calendars)
      const histories = new Map<string, ReadonlyArray<Stored>>()
      const historyOf = (streamId: string) =>
        Effect.gen(function* () {
          const cached = histories.get(streamId)
          if (cached !== undefined) return cached
          const recorded = yield* EventStore.readWholeStream(streamId)
          const decoded = yield* Effect.fromResult(Aggregate.decodeAll(Complaint.events, recorded))
          const history = decoded.map((event, i) => ({
            event,
            eventId: (recorded[i] as RecordedEvents.RecordedEvent).eventId
          }))
          histories.set(streamId, history)
          return history
        })
      let issued = 0
      let duplicates = 0
      let refused = 0
      for (const recorded of complaintEvents) {
        const history = yield* historyOf(recorded.streamId)
        for (const planned of plan(context, history, recorded.streamVersion - 1)) {
          const options = { commandId: planned.commandId, metadata: { causationId: recorded.eventId } }
          const handled =
            planned._tag === "Obligation"
              ? CommandHandler.handle(obligations, planned.streamId, planned.command, options)
              : CommandHandler.handle(Complaint.aggregate, planned.streamId, planned.command, options)
          const outcome: Outcome = yield* (
            handled as Effect.Effect<
              CommandHandler.Handled<unknown, unknown>,
              DomainError | CommandHandler.HandleError,
              EventStore.EventStore
            >
          ).pipe(
            Effect.map((h): Outcome => (h.duplicate || h.events.length === 0 ? "duplicate" : "issued")),
            Effect.catchIf(isDomain, () => Effect.succeed<Outcome>("refused"))
          )
          if (outcome === "issued") issued++
          else if (outcome === "duplicate") duplicates++
          else refused++
          // A command to another complaint changes that complaint's history: read it again when needed.
          if (planned._tag === "Complaint") histories.delete(planned.streamId)
        }
      }
      return { examined: complaintEvents.length, issued, duplicates, refused }
    }).pipe(Effect.withSpan("ComplaintWorkflow.batch"))

/**
 * Catches up on everything in the log now and stops: the same handling as `run`, without a
 * checkpoint. For tests, scripts and examples.
 */
export const catchUp = (config: Config): Effect.Effect<Report, WorkflowError, EventStore.EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore.EventStore
    const handle = handleBatch(config)
    let after = undefined as RecordedEvents.RecordedEvent["globalPosition"] | undefined
    const total = { examined: 0, issued: 0, duplicates: 0, refused: 0 }
    for (;;) {
      const batch = yield* store.readAll({ ...(after === undefined ? {} : { after }), limit: 500 })
      if (batch.length === 0) return total
      const report = yield* handle(batch)
      total.examined += report.examined
      total.issued += report.issued
      total.duplicates += report.duplicates
      total.refused += report.refused
      after = (batch[batch.length - 1] as RecordedEvents.RecordedEvent).globalPosition
    }
  })

/** Runs the workflow as a durable catch-up subscription (resumes from its checkpoint). Never ends. */
export const run = (
  config: Config,
  options: { readonly batchSize?: number } = {}
): Effect.Effect<
  never,
  WorkflowError | Errors.StorageFailure,
  EventStore.EventStore | CheckpointStore.CheckpointStore
> =>
  Subscription.run(config.name ?? "complaints-workflow", (batch) => Effect.asVoid(handleBatch(config)(batch)), {
    version: config.version ?? 1,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize })
  })
