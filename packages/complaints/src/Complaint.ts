/**
 * The complaint aggregate: one customer complaint from receipt to closure, following the
 * ISO 10002 handling steps (receipt, tracking, acknowledgement, initial assessment,
 * investigation, response, communicating the decision, closing), with the satisfaction survey
 * and follow-ups that come after. Every step is an event carrying who did it, through which
 * channel and when, so the stream is the complete record of the case (全程留痕).
 *
 * First-contact ownership (首问负责制): whoever receives the complaint owns it until it is
 * closed. Assigning, escalating or referring the work changes the assignee, never the owner;
 * only an explicit `TransferOwnership` with a reason does, and any other command that names a
 * different owner is refused with `OwnershipChangeRefused`.
 *
 * Surveys live inside the complaint rather than in an aggregate of their own: "one answer per
 * resolution", "attributed to the owner and assignee of that moment" and "a reopen cancels the
 * pending survey" are all rules over the complaint's own state, and keeping them in one stream
 * lets `decide` enforce them atomically, with no cross-aggregate coordination to get wrong.
 */
import { Aggregate, Decider, EventCatalog } from "@vouch/core"
import { DateTime, Result, Schema } from "effect"

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

const Instant = Schema.DateTimeUtcFromString
const Text = Schema.String

/** The built-in intake channels; the set is open, any other non-empty name is accepted too. */
export const channels = {
  phone: "phone",
  email: "email",
  chat: "chat",
  wechat: "wechat",
  app: "app",
  appReview: "app-review",
  onSite: "on-site",
  webForm: "web-form"
} as const

/** A channel name: one of `channels` or an organisation's own. */
export const Channel = Schema.String.check(Schema.isMinLength(1))
export type Channel = typeof Channel.Type

/** How much handling a complaint needs; a major one gets a dedicated tracker. */
export const Severity = Schema.Literals(["normal", "complex", "major"])
export type Severity = typeof Severity.Type

/** How urgently the case is worked; a change re-targets the obligations. */
export const Priority = Schema.Literals(["low", "normal", "high", "urgent"])
export type Priority = typeof Priority.Type

/** Common root causes for the periodic review; the set is open like channels. */
export const rootCauses = [
  "product-defect",
  "service-failure",
  "delivery",
  "billing",
  "policy",
  "communication",
  "third-party",
  "customer-misunderstanding",
  "other"
] as const

/** Who acknowledged: an automatic receipt message, or a person. */
export const AcknowledgementMode = Schema.Literals(["Automatic", "Person"])

/** The default delay between closure and the satisfaction survey: 24 hours. */
export const defaultSurveyDelayMs = 24 * 3_600_000

// Every step records who, through which channel and when.
const step = { actor: Text, channel: Channel, at: Instant }

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** The complaint was received; the receiver becomes its owner and first assignee. */
export const ComplaintReceived = Schema.TaggedStruct("ComplaintReceived", {
  complaintId: Text,
  customer: Text,
  order: Schema.optionalKey(Text),
  product: Schema.optionalKey(Text),
  category: Text,
  description: Text,
  remedySought: Text,
  tier: Text,
  ...step
})
/** The customer was told the complaint is being handled. */
export const ComplaintAcknowledged = Schema.TaggedStruct("ComplaintAcknowledged", {
  mode: AcknowledgementMode,
  ...step
})
/** Initial assessment (or a later re-assessment). */
export const ComplaintAssessed = Schema.TaggedStruct("ComplaintAssessed", {
  severity: Severity,
  priority: Priority,
  impact: Text,
  ...step
})
/** The work was given to another agent or team; the owner is unchanged. */
export const ComplaintAssigned = Schema.TaggedStruct("ComplaintAssigned", {
  assignee: Text,
  team: Schema.optionalKey(Text),
  ...step
})
/** Escalated to another team (functional) or to a manager (hierarchical); the owner is unchanged. */
export const ComplaintEscalated = Schema.TaggedStruct("ComplaintEscalated", {
  kind: Schema.Literals(["Functional", "Hierarchical"]),
  to: Text,
  reason: Text,
  ...step
})
/** A dedicated tracker follows a major complaint until it is resolved. */
export const TrackerAssigned = Schema.TaggedStruct("TrackerAssigned", { tracker: Text, ...step })
/** Accountability moved to another person, for a stated reason. */
export const OwnershipTransferred = Schema.TaggedStruct("OwnershipTransferred", {
  from: Text,
  to: Text,
  reason: Text,
  ...step
})
/** A public reply to the customer: it answers every message the customer sent before it. */
export const AgentReplied = Schema.TaggedStruct("AgentReplied", { message: Text, ...step })
/** A note for colleagues; the customer never sees it and it answers nothing. */
export const InternalNoteAdded = Schema.TaggedStruct("InternalNoteAdded", { note: Text, ...step })
/** The customer wrote or called again. */
export const CustomerMessaged = Schema.TaggedStruct("CustomerMessaged", { message: Text, ...step })
/** The case waits for the customer (information, a test, a visit): the clocks pause. */
export const CustomerInputRequested = Schema.TaggedStruct("CustomerInputRequested", { request: Text, ...step })
/** The customer answered what was asked: the clocks run again. */
export const CustomerResponded = Schema.TaggedStruct("CustomerResponded", { message: Text, ...step })
/** A solution was put to the customer. */
export const SolutionProposed = Schema.TaggedStruct("SolutionProposed", {
  solutionId: Text,
  description: Text,
  ...step
})
/** The customer accepted the proposed solution. */
export const SolutionAccepted = Schema.TaggedStruct("SolutionAccepted", { solutionId: Text, ...step })
/** The customer rejected the proposed solution; the investigation goes on. */
export const SolutionRejected = Schema.TaggedStruct("SolutionRejected", { solutionId: Text, reason: Text, ...step })
/** The solution was carried out; `resolution` counts resolutions of this case from 1. */
export const ComplaintResolved = Schema.TaggedStruct("ComplaintResolved", {
  resolution: Schema.Int,
  summary: Text,
  ...step
})
/** The case was closed with its root cause; the survey for this resolution is due at `surveyDueAt`. */
export const ComplaintClosed = Schema.TaggedStruct("ComplaintClosed", {
  resolution: Schema.Int,
  rootCause: Text,
  surveyDueAt: Instant,
  ...step
})
/** A closed case was reopened: its closure no longer counts, and its pending survey is cancelled. */
export const ComplaintReopened = Schema.TaggedStruct("ComplaintReopened", { reason: Text, ...step })
/** The case was referred to an organisation outside (regulator, manufacturer, carrier). */
export const ComplaintReferred = Schema.TaggedStruct("ComplaintReferred", {
  organisation: Text,
  reason: Text,
  ...step
})
/** This case duplicates `into` (same customer, another channel) and was merged there. */
export const ComplaintMerged = Schema.TaggedStruct("ComplaintMerged", { into: Text, ...step })
/** A duplicate was merged into this case; `receivedAt` is the earliest receipt of the two. */
export const DuplicateAbsorbed = Schema.TaggedStruct("DuplicateAbsorbed", {
  duplicateId: Text,
  duplicateChannel: Channel,
  duplicateReceivedAt: Instant,
  receivedAt: Instant,
  ...step
})
/** The satisfaction survey of a resolution went out. */
export const SurveySent = Schema.TaggedStruct("SurveySent", { resolution: Schema.Int, ...step })
/** The customer answered; the answer is attributed to the owner and assignee of that moment. */
export const SurveyAnswered = Schema.TaggedStruct("SurveyAnswered", {
  resolution: Schema.Int,
  satisfaction: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5 })),
  recommend: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10 })),
  comment: Schema.optionalKey(Text),
  owner: Text,
  assignee: Text,
  ...step
})
/** The survey window passed with no answer: it must not count in satisfaction figures. */
export const SurveyUnanswered = Schema.TaggedStruct("SurveyUnanswered", { resolution: Schema.Int, ...step })
/** A scheduled or sent survey was withdrawn (the case was reopened). */
export const SurveyCancelled = Schema.TaggedStruct("SurveyCancelled", {
  resolution: Schema.Int,
  reason: Text,
  ...step
})
/** A follow-up visit or call (回访) after resolution: did the problem stay solved? */
export const FollowUpRecorded = Schema.TaggedStruct("FollowUpRecorded", {
  resolution: Schema.Int,
  method: Schema.Literals(["Visit", "Call"]),
  stayedSolved: Schema.Boolean,
  note: Schema.optionalKey(Text),
  ...step
})

/** Every complaint event. */
export const Event = Schema.Union([
  ComplaintReceived,
  ComplaintAcknowledged,
  ComplaintAssessed,
  ComplaintAssigned,
  ComplaintEscalated,
  TrackerAssigned,
  OwnershipTransferred,
  AgentReplied,
  InternalNoteAdded,
  CustomerMessaged,
  CustomerInputRequested,
  CustomerResponded,
  SolutionProposed,
  SolutionAccepted,
  SolutionRejected,
  ComplaintResolved,
  ComplaintClosed,
  ComplaintReopened,
  ComplaintReferred,
  ComplaintMerged,
  DuplicateAbsorbed,
  SurveySent,
  SurveyAnswered,
  SurveyUnanswered,
  SurveyCancelled,
  FollowUpRecorded
])
export type Event = typeof Event.Type

/** The event catalog: type names `complaints/<Tag>`. */
export const events: EventCatalog.EventCatalog<Event> = EventCatalog.make("complaints", Event)

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

// Commands that hand work around may state the owner the caller believes holds the case (a form
// that posts the whole case does); a different owner there is an attempt to change ownership.
const claimedOwner = { owner: Schema.optionalKey(Text) }

/** Record a new complaint; `actor` (the receiver) becomes the owner. */
export const Receive = Schema.TaggedStruct("Receive", {
  complaintId: Text,
  customer: Text,
  order: Schema.optionalKey(Text),
  product: Schema.optionalKey(Text),
  category: Text,
  description: Text,
  remedySought: Text,
  tier: Text,
  ...step
})
/** Acknowledge receipt to the customer. */
export const Acknowledge = Schema.TaggedStruct("Acknowledge", { mode: AcknowledgementMode, ...step })
/** Assess (or re-assess) severity, priority and impact. */
export const Assess = Schema.TaggedStruct("Assess", {
  severity: Severity,
  priority: Priority,
  impact: Text,
  ...step
})
/** Give the work to an agent or a team. */
export const Assign = Schema.TaggedStruct("Assign", {
  assignee: Text,
  team: Schema.optionalKey(Text),
  ...claimedOwner,
  ...step
})
/** Escalate functionally (another team) or hierarchically (a manager). */
export const Escalate = Schema.TaggedStruct("Escalate", {
  kind: Schema.Literals(["Functional", "Hierarchical"]),
  to: Text,
  reason: Text,
  ...claimedOwner,
  ...step
})
/** Name the dedicated tracker of a major complaint. */
export const AssignTracker = Schema.TaggedStruct("AssignTracker", { tracker: Text, ...claimedOwner, ...step })
/** Move accountability to another person; a reason is required. */
export const TransferOwnership = Schema.TaggedStruct("TransferOwnership", { to: Text, reason: Text, ...step })
/** Reply publicly to the customer. */
export const Reply = Schema.TaggedStruct("Reply", { message: Text, ...step })
/** Add an internal note. */
export const AddInternalNote = Schema.TaggedStruct("AddInternalNote", { note: Text, ...step })
/** Record a message from the customer (while waiting on the customer, it is their response). */
export const RecordCustomerMessage = Schema.TaggedStruct("RecordCustomerMessage", { message: Text, ...step })
/** Ask the customer for something and wait. */
export const RequestCustomerInput = Schema.TaggedStruct("RequestCustomerInput", { request: Text, ...step })
/** Record the customer's answer to a request. */
export const RecordCustomerResponse = Schema.TaggedStruct("RecordCustomerResponse", { message: Text, ...step })
/** Put a solution to the customer. */
export const ProposeSolution = Schema.TaggedStruct("ProposeSolution", {
  solutionId: Text,
  description: Text,
  ...step
})
/** The customer accepts the proposed solution. */
export const AcceptSolution = Schema.TaggedStruct("AcceptSolution", { solutionId: Text, ...step })
/** The customer rejects the proposed solution. */
export const RejectSolution = Schema.TaggedStruct("RejectSolution", { solutionId: Text, reason: Text, ...step })
/** The solution was carried out. */
export const Resolve = Schema.TaggedStruct("Resolve", { summary: Text, ...step })
/** Close a resolved case with its root cause; the survey follows after `surveyDelayMs` (default 24 h). */
export const Close = Schema.TaggedStruct("Close", {
  rootCause: Text,
  surveyDelayMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  ...step
})
/** Reopen a closed case. */
export const Reopen = Schema.TaggedStruct("Reopen", { reason: Text, ...step })
/** Refer the case to an outside organisation; it becomes the assignee. */
export const Refer = Schema.TaggedStruct("Refer", { organisation: Text, reason: Text, ...claimedOwner, ...step })
/** Merge this case into `survivor`, the same customer's case from another channel. */
export const MergeInto = Schema.TaggedStruct("MergeInto", {
  survivorId: Text,
  survivorCustomer: Text,
  ...step
})
/** Take in a merged duplicate (sent by the workflow after `ComplaintMerged`). */
export const AbsorbDuplicate = Schema.TaggedStruct("AbsorbDuplicate", {
  duplicateId: Text,
  duplicateCustomer: Text,
  duplicateChannel: Channel,
  duplicateReceivedAt: Instant,
  ...step
})
/** Send the scheduled survey (not before it is due). */
export const SendSurvey = Schema.TaggedStruct("SendSurvey", { ...step })
/** Record the customer's survey answer. */
export const AnswerSurvey = Schema.TaggedStruct("AnswerSurvey", {
  satisfaction: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5 })),
  recommend: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10 })),
  comment: Schema.optionalKey(Text),
  ...step
})
/** Record that the sent survey was never answered. */
export const ExpireSurvey = Schema.TaggedStruct("ExpireSurvey", { ...step })
/** Record a follow-up visit or call after resolution. */
export const RecordFollowUp = Schema.TaggedStruct("RecordFollowUp", {
  method: Schema.Literals(["Visit", "Call"]),
  stayedSolved: Schema.Boolean,
  note: Schema.optionalKey(Text),
  ...step
})

/** Every complaint command. */
export const Command = Schema.Union([
  Receive,
  Acknowledge,
  Assess,
  Assign,
  Escalate,
  AssignTracker,
  TransferOwnership,
  Reply,
  AddInternalNote,
  RecordCustomerMessage,
  RequestCustomerInput,
  RecordCustomerResponse,
  ProposeSolution,
  AcceptSolution,
  RejectSolution,
  Resolve,
  Close,
  Reopen,
  Refer,
  MergeInto,
  AbsorbDuplicate,
  SendSurvey,
  AnswerSurvey,
  ExpireSurvey,
  RecordFollowUp
])
export type Command = typeof Command.Type

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** The complaint has not been received yet. */
export class NotReceived extends Schema.TaggedError<NotReceived>()("NotReceived", { command: Schema.String }) {}

/** The complaint was already received. */
export class AlreadyReceived extends Schema.TaggedError<AlreadyReceived>()("AlreadyReceived", {
  complaintId: Schema.String
}) {}

/** The case is closed: only reopening, surveys, follow-ups and notes are accepted. */
export class ComplaintAlreadyClosed extends Schema.TaggedError<ComplaintAlreadyClosed>()("ComplaintAlreadyClosed", {
  command: Schema.String
}) {}

/** The case was merged into another; commands go to the surviving case. */
export class ComplaintWasMerged extends Schema.TaggedError<ComplaintWasMerged>()("ComplaintWasMerged", {
  into: Schema.String,
  command: Schema.String
}) {}

/** The command does not fit the case's status (e.g. accepting a solution nobody proposed). */
export class InvalidTransition extends Schema.TaggedError<InvalidTransition>()("InvalidTransition", {
  status: Schema.String,
  command: Schema.String
}) {}

/** Only an explicit ownership transfer changes the owner. */
export class OwnershipChangeRefused extends Schema.TaggedError<OwnershipChangeRefused>()("OwnershipChangeRefused", {
  owner: Schema.String,
  attempted: Schema.String,
  command: Schema.String
}) {}

/** A transfer of ownership needs a reason and a different person. */
export class InvalidOwnershipTransfer extends Schema.TaggedError<InvalidOwnershipTransfer>()(
  "InvalidOwnershipTransfer",
  { reason: Schema.String }
) {}

/** The acknowledgement was already given. */
export class AlreadyAcknowledged extends Schema.TaggedError<AlreadyAcknowledged>()("AlreadyAcknowledged", {}) {}

/** A solution must be proposed (and not rejected) before the case is resolved. */
export class NoSolution extends Schema.TaggedError<NoSolution>()("NoSolution", { status: Schema.String }) {}

/** Closing needs a resolution first. */
export class NotResolved extends Schema.TaggedError<NotResolved>()("NotResolved", { status: Schema.String }) {}

/** A case is closed with a root-cause classification. */
export class RootCauseRequired extends Schema.TaggedError<RootCauseRequired>()("RootCauseRequired", {}) {}

/** The solution named is not the one pending. */
export class UnknownSolution extends Schema.TaggedError<UnknownSolution>()("UnknownSolution", {
  solutionId: Schema.String,
  pending: Schema.optionalKey(Schema.String)
}) {}

/** A major complaint is resolved only with its dedicated tracker named. */
export class TrackerRequired extends Schema.TaggedError<TrackerRequired>()("TrackerRequired", {}) {}

/** A dedicated tracker is for major complaints. */
export class TrackerNotApplicable extends Schema.TaggedError<TrackerNotApplicable>()("TrackerNotApplicable", {
  severity: Schema.String
}) {}

/** A case merges only into another case of the same customer. */
export class InvalidMerge extends Schema.TaggedError<InvalidMerge>()("InvalidMerge", { reason: Schema.String }) {}

/** The survey command does not fit the survey's state (none pending, not yet due, already answered). */
export class SurveyRefused extends Schema.TaggedError<SurveyRefused>()("SurveyRefused", {
  reason: Schema.String,
  dueAt: Schema.optionalKey(Schema.String)
}) {}

/** Every refusal. */
export type Error =
  | NotReceived
  | AlreadyReceived
  | ComplaintAlreadyClosed
  | ComplaintWasMerged
  | InvalidTransition
  | OwnershipChangeRefused
  | InvalidOwnershipTransfer
  | AlreadyAcknowledged
  | NoSolution
  | NotResolved
  | RootCauseRequired
  | UnknownSolution
  | TrackerRequired
  | TrackerNotApplicable
  | InvalidMerge
  | SurveyRefused

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/** Where the case stands. */
export type Status =
  | "None"
  | "Open"
  | "AwaitingCustomer"
  | "SolutionProposed"
  | "SolutionAccepted"
  | "Resolved"
  | "Closed"
  | "Merged"

/** The survey of one resolution. */
export interface Survey {
  readonly resolution: number
  readonly status: "Scheduled" | "Sent" | "Answered" | "Unanswered" | "Cancelled"
  /** Epoch millis. */
  readonly dueAt: number
}

/** A complaint's state; instants are epoch milliseconds. */
export interface State {
  readonly status: Status
  readonly complaintId: string
  readonly customer: string
  readonly channel: string
  readonly category: string
  readonly tier: string
  readonly product: string | undefined
  /** The earliest receipt (a merged duplicate may move it earlier). */
  readonly receivedAt: number
  readonly owner: string
  readonly assignee: string
  readonly tracker: string | undefined
  readonly severity: Severity | undefined
  readonly priority: Priority | undefined
  readonly acknowledged: boolean
  /** When the customer was first answered publicly. */
  readonly firstRepliedAt: number | undefined
  /** The oldest customer message no public reply has answered yet. */
  readonly unansweredSince: number | undefined
  readonly solution: { readonly id: string; readonly status: "Proposed" | "Accepted" | "Rejected" } | undefined
  /** The status to return to when the customer responds. */
  readonly resumeTo: Status | undefined
  /** How many times the case was resolved. */
  readonly resolutions: number
  readonly rootCause: string | undefined
  readonly reopened: number
  readonly referredTo: string | undefined
  readonly mergedInto: string | undefined
  readonly duplicates: ReadonlyArray<string>
  /** Every survey, one per resolution at most. */
  readonly surveys: ReadonlyArray<Survey>
  readonly followUps: number
}

/** Before the complaint is received. */
export const initialState: State = {
  status: "None",
  complaintId: "",
  customer: "",
  channel: "",
  category: "",
  tier: "",
  product: undefined,
  receivedAt: 0,
  owner: "",
  assignee: "",
  tracker: undefined,
  severity: undefined,
  priority: undefined,
  acknowledged: false,
  firstRepliedAt: undefined,
  unansweredSince: undefined,
  solution: undefined,
  resumeTo: undefined,
  resolutions: 0,
  rootCause: undefined,
  reopened: 0,
  referredTo: undefined,
  mergedInto: undefined,
  duplicates: [],
  surveys: [],
  followUps: 0
}

const ms = (at: DateTime.DateTime): number => DateTime.toEpochMillis(at)

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer U> ? Array<U> : T[K] }

/** The survey still waiting to be sent or answered, if any. */
export const pendingSurvey = (state: State): Survey | undefined => {
  const last = state.surveys[state.surveys.length - 1]
  return last !== undefined && (last.status === "Scheduled" || last.status === "Sent") ? last : undefined
}

/** Whether the case is being worked (received, not resolved, closed or merged). */
export const isOpen = (state: State): boolean =>
  state.status === "Open" ||
  state.status === "AwaitingCustomer" ||
  state.status === "SolutionProposed" ||
  state.status === "SolutionAccepted"

/** Applies one event. */
export const evolve = (draft: unknown, event: Event): void => {
  const state = draft as Mutable<State>
  const survey = state.surveys[state.surveys.length - 1] as Mutable<Survey> | undefined
  switch (event._tag) {
    case "ComplaintReceived":
      state.status = "Open"
      state.complaintId = event.complaintId
      state.customer = event.customer
      state.channel = event.channel
      state.category = event.category
      state.tier = event.tier
      state.product = event.product
      state.receivedAt = ms(event.at)
      state.owner = event.actor
      state.assignee = event.actor
      state.unansweredSince = ms(event.at)
      return
    case "ComplaintAcknowledged":
      state.acknowledged = true
      return
    case "ComplaintAssessed":
      state.severity = event.severity
      state.priority = event.priority
      return
    case "ComplaintAssigned":
      state.assignee = event.assignee
      return
    case "ComplaintEscalated":
      state.assignee = event.to
      return
    case "TrackerAssigned":
      state.tracker = event.tracker
      return
    case "OwnershipTransferred":
      state.owner = event.to
      return
    case "AgentReplied":
      state.firstRepliedAt ??= ms(event.at)
      state.unansweredSince = undefined
      return
    case "InternalNoteAdded":
      return
    case "CustomerMessaged":
      state.unansweredSince ??= ms(event.at)
      return
    case "CustomerInputRequested":
      state.resumeTo = state.status
      state.status = "AwaitingCustomer"
      return
    case "CustomerResponded":
      state.status = state.resumeTo ?? "Open"
      state.resumeTo = undefined
      state.unansweredSince ??= ms(event.at)
      return
    case "SolutionProposed":
      state.status = "SolutionProposed"
      state.solution = { id: event.solutionId, status: "Proposed" }
      // A proposal is a public answer to the customer.
      state.firstRepliedAt ??= ms(event.at)
      state.unansweredSince = undefined
      return
    case "SolutionAccepted":
      state.status = "SolutionAccepted"
      if (state.solution !== undefined) state.solution = { ...state.solution, status: "Accepted" }
      return
    case "SolutionRejected":
      state.status = "Open"
      if (state.solution !== undefined) state.solution = { ...state.solution, status: "Rejected" }
      return
    case "ComplaintResolved":
      state.status = "Resolved"
      state.resolutions = event.resolution
      return
    case "ComplaintClosed":
      state.status = "Closed"
      state.rootCause = event.rootCause
      state.surveys.push({ resolution: event.resolution, status: "Scheduled", dueAt: ms(event.surveyDueAt) })
      return
    case "ComplaintReopened":
      state.status = "Open"
      state.reopened += 1
      state.rootCause = undefined
      state.solution = undefined
      state.unansweredSince = ms(event.at)
      return
    case "ComplaintReferred":
      state.referredTo = event.organisation
      state.assignee = event.organisation
      return
    case "ComplaintMerged":
      state.status = "Merged"
      state.mergedInto = event.into
      return
    case "DuplicateAbsorbed":
      state.duplicates.push(event.duplicateId)
      state.receivedAt = ms(event.receivedAt)
      return
    case "SurveySent":
      if (survey !== undefined) survey.status = "Sent"
      return
    case "SurveyAnswered":
      if (survey !== undefined) survey.status = "Answered"
      return
    case "SurveyUnanswered":
      if (survey !== undefined) survey.status = "Unanswered"
      return
    case "SurveyCancelled":
      if (survey !== undefined) survey.status = "Cancelled"
      return
    case "FollowUpRecorded":
      state.followUps += 1
      return
  }
}

// ---------------------------------------------------------------------------------------------
// Decide
// ---------------------------------------------------------------------------------------------

type Decision = Result.Result<ReadonlyArray<Event>, Error>
const ok = (...events: ReadonlyArray<Event>): Decision => Result.succeed(events)
const refuse = (error: Error): Decision => Result.fail(error)
const blank = (text: string): boolean => text.trim().length === 0

// Commands a closed case still accepts; everything else is refused with ComplaintAlreadyClosed.
const afterClosure = new Set<Command["_tag"]>([
  "Reopen",
  "SendSurvey",
  "AnswerSurvey",
  "ExpireSurvey",
  "RecordFollowUp",
  "AddInternalNote",
  "AbsorbDuplicate"
])

// Commands a resolved (not yet closed) case accepts besides closing.
const whileResolved = new Set<Command["_tag"]>([
  "Close",
  "RecordFollowUp",
  "AddInternalNote",
  "Reply",
  "RecordCustomerMessage",
  "AbsorbDuplicate",
  "TransferOwnership",
  "Assign"
])

const stepOf = (command: { readonly actor: string; readonly channel: string; readonly at: DateTime.Utc }) => ({
  actor: command.actor,
  channel: command.channel,
  at: command.at
})

/** The events `command` produces in `state`, or why it is refused. */
export const decide = (command: Command, state: State): Decision => {
  const s = stepOf(command)
  if (command._tag === "Receive") {
    if (state.status !== "None") return refuse(new AlreadyReceived({ complaintId: state.complaintId }))
    const { _tag, ...fields } = command
    return ok(ComplaintReceived.make(fields))
  }
  if (state.status === "None") return refuse(new NotReceived({ command: command._tag }))
  if (state.status === "Merged") {
    return refuse(new ComplaintWasMerged({ into: state.mergedInto ?? "", command: command._tag }))
  }
  if (state.status === "Closed" && !afterClosure.has(command._tag)) {
    return refuse(new ComplaintAlreadyClosed({ command: command._tag }))
  }
  if (state.status === "Resolved" && !whileResolved.has(command._tag)) {
    return refuse(new InvalidTransition({ status: state.status, command: command._tag }))
  }
  // Handing work around never moves accountability: a stated owner must be the current one.
  if ("owner" in command && command.owner !== undefined && command.owner !== state.owner) {
    return refuse(new OwnershipChangeRefused({ owner: state.owner, attempted: command.owner, command: command._tag }))
  }
  const invalid = () => refuse(new InvalidTransition({ status: state.status, command: command._tag }))

  switch (command._tag) {
    case "Acknowledge":
      if (state.acknowledged) return refuse(new AlreadyAcknowledged())
      return ok(ComplaintAcknowledged.make({ mode: command.mode, ...s }))
    case "Assess":
      return ok(
        ComplaintAssessed.make({ severity: command.severity, priority: command.priority, impact: command.impact, ...s })
      )
    case "Assign":
      return ok(
        ComplaintAssigned.make({
          assignee: command.assignee,
          ...(command.team === undefined ? {} : { team: command.team }),
          ...s
        })
      )
    case "Escalate":
      return ok(ComplaintEscalated.make({ kind: command.kind, to: command.to, reason: command.reason, ...s }))
    case "AssignTracker":
      if (state.severity !== "major") {
        return refuse(new TrackerNotApplicable({ severity: state.severity ?? "unassessed" }))
      }
      return ok(TrackerAssigned.make({ tracker: command.tracker, ...s }))
    case "TransferOwnership":
      if (blank(command.reason)) return refuse(new InvalidOwnershipTransfer({ reason: "a reason is required" }))
      if (blank(command.to)) return refuse(new InvalidOwnershipTransfer({ reason: "the new owner is required" }))
      if (command.to === state.owner) {
        return refuse(new InvalidOwnershipTransfer({ reason: `${command.to} already owns the case` }))
      }
      return ok(OwnershipTransferred.make({ from: state.owner, to: command.to, reason: command.reason, ...s }))
    case "Reply":
      return ok(AgentReplied.make({ message: command.message, ...s }))
    case "AddInternalNote":
      return ok(InternalNoteAdded.make({ note: command.note, ...s }))
    case "RecordCustomerMessage":
      return state.status === "AwaitingCustomer"
        ? ok(CustomerResponded.make({ message: command.message, ...s }))
        : ok(CustomerMessaged.make({ message: command.message, ...s }))
    case "RequestCustomerInput":
      if (state.status === "AwaitingCustomer") return invalid()
      return ok(CustomerInputRequested.make({ request: command.request, ...s }))
    case "RecordCustomerResponse":
      if (state.status !== "AwaitingCustomer") return invalid()
      return ok(CustomerResponded.make({ message: command.message, ...s }))
    case "ProposeSolution":
      if (state.status !== "Open") return invalid()
      return ok(SolutionProposed.make({ solutionId: command.solutionId, description: command.description, ...s }))
    case "AcceptSolution":
    case "RejectSolution": {
      if (state.status !== "SolutionProposed") return invalid()
      const pending = state.solution?.id
      if (pending !== command.solutionId) {
        return refuse(
          new UnknownSolution({ solutionId: command.solutionId, ...(pending === undefined ? {} : { pending }) })
        )
      }
      return command._tag === "AcceptSolution"
        ? ok(SolutionAccepted.make({ solutionId: command.solutionId, ...s }))
        : ok(SolutionRejected.make({ solutionId: command.solutionId, reason: command.reason, ...s }))
    }
    case "Resolve":
      if (state.status !== "SolutionProposed" && state.status !== "SolutionAccepted") {
        return refuse(new NoSolution({ status: state.status }))
      }
      if (state.severity === "major" && state.tracker === undefined) return refuse(new TrackerRequired())
      return ok(ComplaintResolved.make({ resolution: state.resolutions + 1, summary: command.summary, ...s }))
    case "Close": {
      if (state.status !== "Resolved") return refuse(new NotResolved({ status: state.status }))
      if (blank(command.rootCause)) return refuse(new RootCauseRequired())
      const delay = command.surveyDelayMs ?? defaultSurveyDelayMs
      return ok(
        ComplaintClosed.make({
          resolution: state.resolutions,
          rootCause: command.rootCause,
          surveyDueAt: DateTime.makeUnsafe(ms(command.at) + delay),
          ...s
        })
      )
    }
    case "Reopen": {
      if (state.status !== "Closed") return invalid()
      const pending = pendingSurvey(state)
      return ok(
        ComplaintReopened.make({ reason: command.reason, ...s }),
        ...(pending === undefined
          ? []
          : [SurveyCancelled.make({ resolution: pending.resolution, reason: "complaint reopened", ...s })])
      )
    }
    case "Refer":
      return ok(ComplaintReferred.make({ organisation: command.organisation, reason: command.reason, ...s }))
    case "MergeInto":
      if (command.survivorId === state.complaintId) {
        return refuse(new InvalidMerge({ reason: "a case cannot be merged into itself" }))
      }
      if (command.survivorCustomer !== state.customer) {
        return refuse(new InvalidMerge({ reason: "the surviving case belongs to another customer" }))
      }
      return ok(ComplaintMerged.make({ into: command.survivorId, ...s }))
    case "AbsorbDuplicate": {
      if (state.duplicates.includes(command.duplicateId)) return ok()
      if (command.duplicateId === state.complaintId) {
        return refuse(new InvalidMerge({ reason: "a case cannot absorb itself" }))
      }
      if (command.duplicateCustomer !== state.customer) {
        return refuse(new InvalidMerge({ reason: "the duplicate belongs to another customer" }))
      }
      const earliest = Math.min(state.receivedAt, ms(command.duplicateReceivedAt))
      return ok(
        DuplicateAbsorbed.make({
          duplicateId: command.duplicateId,
          duplicateChannel: command.duplicateChannel,
          duplicateReceivedAt: command.duplicateReceivedAt,
          receivedAt: DateTime.makeUnsafe(earliest),
          ...s
        })
      )
    }
    case "SendSurvey": {
      const survey = pendingSurvey(state)
      if (survey === undefined || survey.status !== "Scheduled") {
        return refuse(new SurveyRefused({ reason: "no survey is waiting to be sent" }))
      }
      if (ms(command.at) < survey.dueAt) {
        return refuse(new SurveyRefused({ reason: "not due yet", dueAt: new Date(survey.dueAt).toISOString() }))
      }
      return ok(SurveySent.make({ resolution: survey.resolution, ...s }))
    }
    case "AnswerSurvey":
    case "ExpireSurvey": {
      const survey = pendingSurvey(state)
      if (survey === undefined || survey.status !== "Sent") {
        return refuse(new SurveyRefused({ reason: "no survey is waiting for an answer" }))
      }
      if (command._tag === "ExpireSurvey") return ok(SurveyUnanswered.make({ resolution: survey.resolution, ...s }))
      return ok(
        SurveyAnswered.make({
          resolution: survey.resolution,
          satisfaction: command.satisfaction,
          recommend: command.recommend,
          ...(command.comment === undefined ? {} : { comment: command.comment }),
          owner: state.owner,
          assignee: state.assignee,
          ...s
        })
      )
    }
    case "RecordFollowUp":
      if (state.resolutions === 0) return refuse(new NotResolved({ status: state.status }))
      if (state.status !== "Resolved" && state.status !== "Closed") return invalid()
      return ok(
        FollowUpRecorded.make({
          resolution: state.resolutions,
          method: command.method,
          stayedSolved: command.stayedSolved,
          ...(command.note === undefined ? {} : { note: command.note }),
          ...s
        })
      )
  }
}

/** The complaint's rules. */
export const decider: Decider.Decider<Command, State, Event, Error> = Decider.make<Command, State, Event, Error>({
  initialState,
  evolve: evolve as Decider.Decider<Command, State, Event, Error>["evolve"],
  decide
})

/** The complaint aggregate; streams are `complaint-<complaintId>`. */
export const aggregate: Aggregate.Aggregate<Command, State, Event, Error> = Aggregate.make({
  category: "complaint",
  decider,
  events
})

/** The stream id of a complaint. */
export const streamId = (complaintId: string): string => `complaint-${complaintId}`

/** The complaint id of a complaint stream id, or undefined for another stream. */
export const complaintIdOf = (streamId: string): string | undefined =>
  streamId.startsWith("complaint-") ? streamId.slice("complaint-".length) : undefined
