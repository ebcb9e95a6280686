/**
 * @vouch/core — the event-sourcing kernel. Every module is exported as a namespace:
 * `EventStore.make(...)`, `Checkpoint.compare(...)`, `CommandHandler.handle(...)`.
 */
export * as Aggregate from "./Aggregate.ts"
export * as Checkpoint from "./Checkpoint.ts"
export * as CheckpointStore from "./CheckpointStore.ts"
export * as CommandHandler from "./CommandHandler.ts"
export * as Decider from "./Decider.ts"
export * as Errors from "./Errors.ts"
export {
  ConcurrencyConflict,
  DuplicateEventId,
  EventSchemaViolation,
  InvalidCheckpoint,
  InvalidEvent,
  InvalidReadRequest,
  InvalidStreamId,
  StorageFailure
} from "./Errors.ts"
export * as Event from "./Event.ts"
export * as EventCatalog from "./EventCatalog.ts"
export * as EventId from "./EventId.ts"
export * as EventStore from "./EventStore.ts"
export * as ExpectedVersion from "./ExpectedVersion.ts"
export * as Idempotency from "./Idempotency.ts"
export * as Json from "./Json.ts"
export * as Projection from "./Projection.ts"
export * as PromiseClient from "./PromiseClient.ts"
export * as StreamId from "./StreamId.ts"
export * as Subscription from "./Subscription.ts"
export * as Waiters from "./Waiters.ts"
