/**
 * Where projections and subscriptions keep their place in the global log. Every storage adapter
 * provides one beside its `EventStore`, so a projection's checkpoint lives with the events it
 * was computed from. A saved checkpoint may carry the projection's encoded state, so that state
 * and position are saved together and a restart neither misses nor repeats an event.
 */
import { Context, type Effect, type Option, Result } from "effect"
import type { Checkpoint } from "./Checkpoint.ts"
import { InvalidEvent, type StorageFailure } from "./Errors.ts"
import * as Json from "./Json.ts"
import * as StreamId from "./StreamId.ts"

/** What is saved under a projection's or subscription's name. */
export interface SavedCheckpoint {
  /** The global position of the last event folded in. */
  readonly position: Checkpoint
  /** The projection version that produced it: a different version means a rebuild. */
  readonly version: number
  /** The projection's encoded state at `position`, for projections that keep it here. */
  readonly state?: Json.Json
}

/** The operations an adapter provides. */
export interface Service {
  readonly load: (name: string) => Effect.Effect<Option.Option<SavedCheckpoint>, StorageFailure>
  /** Replaces what is saved under `name`, atomically and durably. */
  readonly save: (name: string, checkpoint: SavedCheckpoint) => Effect.Effect<void, StorageFailure>
}

/** The checkpoint store service tag. */
export class CheckpointStore extends Context.Service<CheckpointStore, Service>()("@vouch/core/CheckpointStore") {}

/** Validates a checkpoint name and freezes a copy of the record; adapters call this before saving. */
export const prepareSave = (
  name: string,
  checkpoint: SavedCheckpoint
): Result.Result<SavedCheckpoint, InvalidEvent> => {
  const refuse = (reason: string) =>
    Result.fail(new InvalidEvent({ streamId: String(name).slice(0, 100), eventType: "checkpoint", reason }))
  const problem = StreamId.problem(name)
  if (problem !== undefined) return refuse(`checkpoint name ${problem}`)
  if (!Number.isSafeInteger(checkpoint.version)) return refuse("version must be an integer")
  if (checkpoint.state === undefined)
    return Result.succeed({ position: checkpoint.position, version: checkpoint.version })
  const state = Json.snapshot(checkpoint.state)
  if (Result.isFailure(state)) return refuse(state.failure)
  return Result.succeed({ position: checkpoint.position, version: checkpoint.version, state: state.success })
}

/** Loads the checkpoint saved under `name`, if any. */
export const load = (name: string) => CheckpointStore.use((store) => store.load(name))

/** Saves a checkpoint. */
export const save = (name: string, checkpoint: SavedCheckpoint) =>
  CheckpointStore.use((store) => store.save(name, checkpoint))
