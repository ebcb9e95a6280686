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

// Records are encoded into slices of a shared slab rather than a buffer per append: the bytes
// live until the flush that writes them, and a slab is freed once no pending write holds a slice.
const slabSize = 1 << 20
let slab = Buffer.allocUnsafe(0)
let slabView = new DataView(slab.buffer, slab.byteOffset, 0)
let slabUsed = 0

/** Whether an object has no own enumerable keys (without allocating a key array). */
const isEmpty = (value: object): boolean => {
  for (const _ in value) return false
  return true
}

const emptyObjectJson = "{}"

/** Encodes the events of one append as consecutive records. */
export const encodeBatch = (
  streamId: string,
  events: ReadonlyArray<Event.NewEvent>,
  firstPosition: number,
  firstVersion: number,
  recordedAt: number
): Encoded => {
  // Each record's stream id, event type and body `[data,metadata]` go into the slab with one
  // string write (fewer native calls than one per piece); empty metadata, the common case, is not
  // stringified at all.
  const texts: Array<string> = new Array(events.length)
  const streamLength = Buffer.byteLength(streamId, "utf8")
  // Strings are written straight into the slab, sized for their longest UTF-8 form (three bytes
  // per UTF-16 unit), rather than each becoming a Buffer of its own first.
  let capacity = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Event.NewEvent
    // `?? "null"` as `JSON.stringify([undefined])` would write it (the kernel admits only JSON values).
    const data = JSON.stringify(event.data) ?? "null"
    const metadata = isEmpty(event.metadata) ? emptyObjectJson : JSON.stringify(event.metadata)
    const text = `${streamId}${event.eventType}[${data},${metadata}]`
    texts[i] = text
    capacity += headerSize + 3 * text.length
  }
  if (slabUsed + capacity > slab.length) {
    slab = Buffer.allocUnsafe(Math.max(slabSize, capacity))
    slabView = new DataView(slab.buffer, slab.byteOffset, slab.length)
    slabUsed = 0
  }
  const bytes = slab
  const view = slabView
  const base = slabUsed
  const starts: Array<number> = new Array(events.length)
  let at = base
  let type = ""
  let typeLength = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Event.NewEvent
    const start = at
    starts[i] = start - base
    if (event.eventType !== type) {
      type = event.eventType
      typeLength = Buffer.byteLength(type, "utf8")
    }
    at = start + headerSize + bytes.write(texts[i] as string, start + headerSize, "utf8")
    view.setUint32(start + field.length, at - start - 8, true)
    view.setUint16(start + field.magic, magic, true)
    view.setUint16(start + field.streamIdLength, streamLength, true)
    view.setUint16(start + field.eventTypeLength, typeLength, true)
    view.setUint16(start + 14, 0, true)
    view.setFloat64(start + field.position, firstPosition + i, true)
    view.setFloat64(start + field.recordedAt, recordedAt, true)
    view.setFloat64(start + field.schemaVersion, event.schemaVersion, true)
    view.setUint32(start + field.streamVersion, firstVersion + i, true)
    view.setUint32(start + field.batchRemaining, events.length - 1 - i, true)
    // The kernel accepts only uuids as event ids: 36 ASCII characters.
    bytes.write(event.eventId, start + field.eventId, eventIdLength, "latin1")
    view.setUint32(start + field.checksum, Crc32c.compute(bytes, start + 8, at), true)
  }
  slabUsed = at
  return { bytes: bytes.subarray(base, at), starts }
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
