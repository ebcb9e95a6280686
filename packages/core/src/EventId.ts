/**
 * Event ids are uuid v7: unique, and sortable by creation time. A plain `uuid` v7 call draws
 * fresh random bytes from the operating system each time, which costs more than the rest of
 * an in-memory append, so ids here draw from a pooled buffer refilled in bulk.
 */
import { v7, validate } from "uuid"

const idBytes = 16
const pool = new Uint8Array(idBytes * 4096)
let offset = pool.length

/** A new uuid v7 string. */
export const make = (): string => {
  if (offset === pool.length) {
    crypto.getRandomValues(pool)
    offset = 0
  }
  const random = pool.subarray(offset, offset + idBytes)
  offset += idBytes
  return v7({ random })
}

/** Whether `id` is a well-formed uuid (any version: ids may come from other systems). */
export const isValid = (id: unknown): id is string => typeof id === "string" && validate(id)
