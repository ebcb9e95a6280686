/**
 * @vouch/core — the event-sourcing kernel. Every module is exported as a namespace:
 * `EventStore.make(...)`, `Checkpoint.compare(...)`.
 */
export * as Checkpoint from "./Checkpoint.ts"
export * as CheckpointStore from "./CheckpointStore.ts"
export * as Errors from "./Errors.ts"
export {
  ConcurrencyConflict,
  DuplicateEventId,
  EventSchemaViolation,
  InvalidCheckpoint,
  InvalidEvent,
  InvalidStreamId,
  StorageFailure
} from "./Errors.ts"
export * as Event from "./Event.ts"
export * as EventId from "./EventId.ts"
export * as EventStore from "./EventStore.ts"
export * as ExpectedVersion from "./ExpectedVersion.ts"
export * as Idempotency from "./Idempotency.ts"
export * as Json from "./Json.ts"
export * as StreamId from "./StreamId.ts"
