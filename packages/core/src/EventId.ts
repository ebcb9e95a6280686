/**
 * Event ids are uuid v7: unique, and sortable by creation time. A plain `uuid` v7 call draws
 * fresh random bytes from the operating system and formats byte by byte, which costs more than
 * the rest of an in-memory append. Here the random bytes come from a pooled buffer refilled in
 * bulk, the timestamp is formatted once per millisecond, and the id is built as one flat string.
 * `uuid` still validates ids that come from elsewhere.
 */
import { validate } from "uuid"

const hexDigit = Array.from("0123456789abcdef", (c) => c.charCodeAt(0))
// getRandomValues fills at most 65,536 bytes per call.
const pool = new Uint8Array(10 * 6553)
let offset = pool.length

// The id's characters, rewritten in place for each id and turned into one string at the end.
// Concatenating pieces instead would leave a tree of string fragments that every later hash or
// comparison must flatten, and that a store holding a million ids would keep four times over.
const dash = 0x2d
const chars: Array<number> = new Array(36).fill(dash)
let charsMillis = -1

/** Writes the 48-bit millisecond timestamp and the version nibble: "tttttttt-tttt-7". */
const writeTime = (now: number): void => {
  const t = now.toString(16).padStart(12, "0")
  for (let i = 0; i < 8; i++) chars[i] = t.charCodeAt(i)
  for (let i = 8; i < 12; i++) chars[i + 1] = t.charCodeAt(i)
  chars[14] = 0x37 // "7"
  charsMillis = now
}

const writeByte = (at: number, byte: number): void => {
  chars[at] = hexDigit[byte >> 4] as number
  chars[at + 1] = hexDigit[byte & 0x0f] as number
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
  const now = Date.now()
  if (now !== charsMillis) writeTime(now)
  chars[15] = hexDigit[(r[o] as number) & 0x0f] as number
  writeByte(16, r[o + 1] as number)
  writeByte(19, ((r[o + 2] as number) & 0x3f) | 0x80) // variant 10
  writeByte(21, r[o + 3] as number)
  for (let i = 0; i < 6; i++) writeByte(24 + 2 * i, r[o + 4 + i] as number)
  return String.fromCharCode.apply(null, chars)
}

// The common shape (version 1–8, variant 10); V8 compiles this simple pattern to fast native code.
const versionedUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
const isVersionedUuid = (id: string): boolean => id.length === 36 && versionedUuid.test(id)

/**
 * Whether `id` is a well-formed uuid (any version: ids may come from other systems). The common
 * shape is checked by hand on the append path; `uuid` decides the rest (nil and max uuids).
 */
export const isValid = (id: unknown): id is string => typeof id === "string" && (isVersionedUuid(id) || validate(id))
