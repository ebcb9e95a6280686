/**
 * Event metadata on its way into a store: a deeply frozen JSON object whose well-known fields
 * (correlation, causation, actor, command) are strings. Shared by the append path and by event
 * catalogs, which check metadata once for all the events of one command.
 */
import { Result } from "effect"
import type { EventMetadata } from "../Event.ts"
import * as Json from "../Json.ts"

/** Shared by every event without metadata. */
export const empty: EventMetadata = Object.freeze({})

const wellKnown = ["correlationId", "causationId", "actor", "commandId"] as const

/** Whether a plain object has no own enumerable keys (without allocating a key array). */
const isEmpty = (value: object): boolean => {
  if (Object.getPrototypeOf(value) !== Object.prototype) return false
  for (const key in value) if (Object.hasOwn(value, key)) return false
  return true
}

/** A deeply frozen copy of `metadata` (absent metadata is empty), or why it cannot be stored. */
export const prepare = (metadata: unknown): Result.Result<EventMetadata, string> => {
  if (metadata == null || (typeof metadata === "object" && isEmpty(metadata))) return Result.succeed(empty)
  const copied = Json.snapshot(metadata)
  if (Result.isFailure(copied)) return Result.fail(`metadata: ${copied.failure}`)
  const value = copied.success
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return Result.fail("metadata must be an object")
  for (const field of wellKnown) {
    const fieldValue = (value as EventMetadata)[field]
    if (fieldValue !== undefined && typeof fieldValue !== "string")
      return Result.fail(`metadata.${field} must be a string`)
  }
  return Result.succeed(value as EventMetadata)
}
