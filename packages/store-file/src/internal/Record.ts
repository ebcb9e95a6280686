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
  const streamBytes = Buffer.from(streamId, "utf8")
  const parts: Array<{ type: Buffer; body: Buffer }> = new Array(events.length)
  let total = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Event.NewEvent
    const type = Buffer.from(event.eventType, "utf8")
    const body = Buffer.from(JSON.stringify([event.data, event.metadata]), "utf8")
    parts[i] = { type, body }
    total += headerSize + streamBytes.length + type.length + body.length
  }
  const bytes = Buffer.allocUnsafe(total)
  const starts: Array<number> = new Array(events.length)
  let at = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Event.NewEvent
    const { type, body } = parts[i] as { type: Buffer; body: Buffer }
    const start = at
    starts[i] = start
    const length = headerSize - 8 + streamBytes.length + type.length + body.length
    bytes.writeUInt32LE(length, start)
    bytes.writeUInt16LE(magic, start + 8)
    bytes.writeUInt16LE(streamBytes.length, start + 10)
    bytes.writeUInt16LE(type.length, start + 12)
    bytes.writeUInt16LE(0, start + 14)
    bytes.writeDoubleLE(firstPosition + i, start + 16)
    bytes.writeDoubleLE(recordedAt, start + 24)
    bytes.writeDoubleLE(event.schemaVersion, start + 32)
    bytes.writeUInt32LE(firstVersion + i, start + 40)
    bytes.writeUInt32LE(events.length - 1 - i, start + 44)
    bytes.write(event.eventId, start + 48, eventIdLength, "latin1")
    at = start + headerSize
    at += streamBytes.copy(bytes, at)
    at += type.copy(bytes, at)
    at += body.copy(bytes, at)
    bytes.writeUInt32LE(Crc32c.compute(bytes, start + 8, at), start + 4)
  }
  return { bytes, starts }
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

/** Remembers the last event type decoded, since neighbouring records usually share one. */
export interface TypeCache {
  start: number
  length: number
  value: string
}

/** A fresh cache for one buffer. */
export const typeCache = (): TypeCache => ({ start: 0, length: -1, value: "" })

/** Decodes a complete record into the envelope a reader gets. */
export const decode = (
  buf: Buffer,
  at: number,
  stream: string,
  globalPosition: Event.RecordedEvent["globalPosition"],
  cache: TypeCache
): Event.RecordedEvent => {
  const length = buf.readUInt32LE(at)
  const typeStart = at + headerSize + buf.readUInt16LE(at + 10)
  const typeLength = buf.readUInt16LE(at + 12)
  const bodyStart = typeStart + typeLength
  if (
    typeLength !== cache.length ||
    buf.compare(buf, cache.start, cache.start + typeLength, typeStart, bodyStart) !== 0
  ) {
    cache.value = buf.toString("utf8", typeStart, bodyStart)
  }
  cache.start = typeStart
  cache.length = typeLength
  const [data, metadata] = JSON.parse(buf.toString("utf8", bodyStart, at + 8 + length)) as [
    Event.RecordedEvent["data"],
    Event.RecordedEvent["metadata"]
  ]
  return {
    eventId: buf.toString("latin1", at + 48, at + 84),
    eventType: cache.value,
    schemaVersion: buf.readDoubleLE(at + 32),
    data,
    metadata,
    streamId: stream as Event.RecordedEvent["streamId"],
    streamVersion: buf.readUInt32LE(at + 40),
    globalPosition,
    recordedAt: buf.readDoubleLE(at + 24)
  }
}
