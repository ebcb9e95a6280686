/**
 * The byte layout of one event in a segment file. Every record starts with its length and a
 * CRC-32C of everything after those first eight bytes, so a reader can tell a complete record
 * from a torn one or from zero fill. The fields the index needs (position, stream, version,
 * event id, batch) sit in a fixed binary header ahead of the JSON body, so opening a store never
 * parses JSON.
 *
 * ```
 * 0   u32  length of the record after this 8-byte prefix
 * 4   u32  CRC-32C of bytes [8, 8 + length)
 * 8   u16  magic 0x5645 ("EV")
 * 10  u16  stream id byte length (UTF-8)
 * 12  u16  event type byte length (UTF-8)
 * 14  u16  reserved, zero
 * 16  f64  global position
 * 24  f64  recorded at (ms since the epoch)
 * 32  f64  schema version
 * 40  u32  stream version
 * 44  u32  records that follow in the same append (0 on the last one)
 * 48  36B  event id (ASCII)
 * 84  ...  stream id, event type, JSON body `[data,metadata]`
 * ```
 */
import type { Event } from "@vouch/core"
import * as Crc32c from "./Crc32c.ts"

/** Bytes before the variable-length part. */
export const headerSize = 84
/** The length field covers everything after the first eight bytes. */
export const minLength = headerSize - 8
export const magic = 0x5645
export const eventIdLength = 36

/** Byte offsets of the fixed fields, from the start of the record. */
export const field = {
  length: 0,
  checksum: 4,
  magic: 8,
  streamIdLength: 10,
  eventTypeLength: 12,
  position: 16,
  recordedAt: 24,
  schemaVersion: 32,
  streamVersion: 40,
  batchRemaining: 44,
  eventId: 48
} as const

/** One event ready to be written, with everything but the JSON body already known. */
export interface Encoded {
  readonly bytes: Buffer
  /** Start of each record inside `bytes`. */
  readonly starts: ReadonlyArray<number>
}

/** Encodes the events of one append as consecutive records. */
export const encodeBatch = (
  streamId: string,
  events: ReadonlyArray<Event.NewEvent>,
  firstPosition: number,
  firstVersion: number,
  recordedAt: number
): Encoded => {
  // Strings are written straight into one buffer sized for their longest UTF-8 form (three bytes
  // per UTF-16 unit), rather than each becoming a Buffer of its own first.
  const bodies: Array<string> = new Array(events.length)
  let capacity = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Event.NewEvent
    const body = JSON.stringify([event.data, event.metadata])
    bodies[i] = body
    capacity += headerSize + 3 * (streamId.length + event.eventType.length + body.length)
  }
  const bytes = Buffer.allocUnsafe(capacity)
  const starts: Array<number> = new Array(events.length)
  let at = 0
  let streamLength = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Event.NewEvent
    const start = at
    starts[i] = start
    at = start + headerSize
    if (i === 0) streamLength = bytes.write(streamId, at, "utf8")
    else bytes.copy(bytes, at, headerSize, headerSize + streamLength)
    at += streamLength
    const typeLength = bytes.write(event.eventType, at, "utf8")
    at += typeLength
    at += bytes.write(bodies[i] as string, at, "utf8")
    bytes.writeUInt32LE(at - start - 8, start)
    bytes.writeUInt16LE(magic, start + 8)
    bytes.writeUInt16LE(streamLength, start + 10)
    bytes.writeUInt16LE(typeLength, start + 12)
    bytes.writeUInt16LE(0, start + 14)
    bytes.writeDoubleLE(firstPosition + i, start + 16)
    bytes.writeDoubleLE(recordedAt, start + 24)
    bytes.writeDoubleLE(event.schemaVersion, start + 32)
    bytes.writeUInt32LE(firstVersion + i, start + 40)
    bytes.writeUInt32LE(events.length - 1 - i, start + 44)
    bytes.write(event.eventId, start + 48, eventIdLength, "latin1")
    bytes.writeUInt32LE(Crc32c.compute(bytes, start + 8, at), start + 4)
  }
  return { bytes: bytes.subarray(0, at), starts }
}

/** Why the bytes at an offset are not a record, or undefined when they are a valid one. */
export const check = (buf: Buffer, at: number, limit: number): string | undefined => {
  if (at + headerSize > limit) return "truncated header"
  const length = buf.readUInt32LE(at)
  if (length === 0) return "zero length"
  if (length < minLength) return `length ${length} is shorter than a record header`
  if (at + 8 + length > limit) return `length ${length} runs past the end of the data`
  if (buf.readUInt16LE(at + 8) !== magic) return "bad magic number"
  if (headerSize + buf.readUInt16LE(at + 10) + buf.readUInt16LE(at + 12) > length + 8) {
    return "field lengths exceed the record"
  }
  if (Crc32c.compute(buf, at + 8, at + 8 + length) !== buf.readUInt32LE(at + 4)) return "checksum mismatch"
  return undefined
}

/** The whole record's size in bytes, prefix included. */
export const size = (buf: Buffer, at: number): number => 8 + buf.readUInt32LE(at)
export const position = (buf: Buffer, at: number): number => buf.readDoubleLE(at + 16)
export const streamVersion = (buf: Buffer, at: number): number => buf.readUInt32LE(at + 40)
export const batchRemaining = (buf: Buffer, at: number): number => buf.readUInt32LE(at + 44)
export const eventId = (buf: Buffer, at: number): string => buf.toString("latin1", at + 48, at + 84)
export const streamId = (buf: Buffer, at: number): string =>
  buf.toString("utf8", at + headerSize, at + headerSize + buf.readUInt16LE(at + 10))
