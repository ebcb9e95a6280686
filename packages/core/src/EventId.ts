/**
 * Event ids are uuid v7: unique, and sortable by creation time. A plain `uuid` v7 call draws
 * fresh random bytes from the operating system and formats byte by byte, which costs more than
 * the rest of an in-memory append. Here the random bytes come from a pooled buffer refilled in
 * bulk, the timestamp prefix is formatted once per millisecond, and bytes are formatted through
 * a lookup table. `uuid` still validates ids that come from elsewhere.
 */
import { validate } from "uuid"

const hex = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"))
// getRandomValues fills at most 65,536 bytes per call.
const pool = new Uint8Array(10 * 6553)
let offset = pool.length
let prefixMillis = -1
let prefix = ""

/** "tttttttt-tttt-7" for the current millisecond: 48 bits of time, then the version nibble. */
const timePrefix = (now: number): string => {
  if (now !== prefixMillis) {
    const t = now.toString(16).padStart(12, "0")
    prefix = `${t.slice(0, 8)}-${t.slice(8, 12)}-7`
    prefixMillis = now
  }
  return prefix
}

/** A new uuid v7 string: 48-bit millisecond timestamp, version 7, variant 10, 74 random bits. */
export const make = (): string => {
  if (offset === pool.length) {
    crypto.getRandomValues(pool)
    offset = 0
  }
  const r = pool
  const o = offset
  offset += 10
  return (
    timePrefix(Date.now()) +
    hex[(r[o] as number) & 0x0f]!.slice(1) +
    hex[r[o + 1] as number] +
    "-" +
    hex[((r[o + 2] as number) & 0x3f) | 0x80] +
    hex[r[o + 3] as number] +
    "-" +
    hex[r[o + 4] as number] +
    hex[r[o + 5] as number] +
    hex[r[o + 6] as number] +
    hex[r[o + 7] as number] +
    hex[r[o + 8] as number] +
    hex[r[o + 9] as number]
  )
}

// The common shape (version 1–8, variant 10); V8 compiles this simple pattern to fast native code.
const versionedUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
const isVersionedUuid = (id: string): boolean => id.length === 36 && versionedUuid.test(id)

/**
 * Whether `id` is a well-formed uuid (any version: ids may come from other systems). The common
 * shape is checked by hand on the append path; `uuid` decides the rest (nil and max uuids).
 */
export const isValid = (id: unknown): id is string => typeof id === "string" && (isVersionedUuid(id) || validate(id))
