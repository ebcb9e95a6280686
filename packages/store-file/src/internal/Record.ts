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

/** Remembers the last event type decoded, since neighbouring records usually share one. */
interface TypeCache {
  start: number
  length: number
  value: string
}

const checkpointWidth = 16
const hexDigits = Buffer.from("0123456789abcdef", "latin1")
const two32 = 2 ** 32

/** Writes `n` (a safe non-negative integer) as `checkpointWidth` lower-case hex digits, zero-padded. */
const writeHex = (into: Buffer, at: number, n: number): void => {
  let low = n >>> 0
  let high = Math.floor(n / two32)
  for (let i = checkpointWidth - 1; i >= 8; i--) {
    into[at + i] = hexDigits[low & 15] as number
    low >>>= 4
  }
  for (let i = 7; i >= 0; i--) {
    into[at + i] = hexDigits[high & 15] as number
    high >>>= 4
  }
}

/**
 * Whether the hex text `decodeRun` writes is exactly what `checkpoint(n)` gives, so it may build
 * global positions itself; the store checks this once against the kernel's own function.
 */
export const checkpointsMatch = (checkpoint: (n: number) => string): boolean => {
  const probe = Buffer.alloc(checkpointWidth)
  for (const n of [1, 2, 15, 16, 255, 4096, 0xdeadbeef, 2 ** 32, 2 ** 40 + 17, Number.MAX_SAFE_INTEGER]) {
    writeHex(probe, 0, n)
    if (probe.toString("latin1") !== checkpoint(n)) return false
  }
  return true
}

/** JSON bytes per record in the batched text besides its body: `"<event id>","<position>",` and a comma. */
const perRecordJson = 1 + eventIdLength + 3 + checkpointWidth + 2 + 1

/**
 * Decodes the complete records at offsets `ats[0..count)` of `buf` (which the caller has checked
 * against the index) into `out[outAt..]`. `positions[p + i]` is record i's global position and
 * `streamOf(position)` its stream. Rather than one `JSON.parse` per body, it copies every record's
 * body (`[data, metadata]`) into one JSON array `[data, metadata, data, ...]` and parses that
 * once, which saves the per-body cost of decoding a slice of the buffer to a string.
 */
export const decodeRun = (
  buf: Buffer,
  ats: ArrayLike<number>,
  count: number,
  positions: ReadonlyArray<number>,
  p: number,
  streamOf: (position: number) => string,
  out: Array<Event.RecordedEvent>,
  outAt: number,
  corrupt: (at: number, reason: string) => Error,
  /** Builds global positions when the hex text here would not match the kernel's checkpoints. */
  checkpoint: ((n: number) => Event.RecordedEvent["globalPosition"]) | undefined
): void => {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length)
  let total = 1
  for (let i = 0; i < count; i++) {
    const at = ats[i] as number
    const bodyStart = at + headerSize + view.getUint16(at + 10, true) + view.getUint16(at + 12, true)
    const bodyEnd = at + 8 + view.getUint32(at, true)
    if (bodyEnd - bodyStart < 2 || buf[bodyStart] !== 0x5b || buf[bodyEnd - 1] !== 0x5d) {
      throw corrupt(at, "record body is not a JSON array")
    }
    total += bodyEnd - bodyStart - 2 + perRecordJson
  }
  const text = Buffer.allocUnsafe(total)
  text[0] = 0x5b // [
  let w = 1
  for (let i = 0; i < count; i++) {
    const at = ats[i] as number
    const bodyStart = at + headerSize + view.getUint16(at + 10, true) + view.getUint16(at + 12, true)
    const bodyEnd = at + 8 + view.getUint32(at, true)
    // Loops beat Buffer#copy's per-call cost for a few dozen bytes.
    text[w++] = 0x22 // "
    for (let b = at + 48; b < at + 48 + eventIdLength; b++) text[w++] = buf[b] as number
    text[w] = 0x22
    text[w + 1] = 0x2c // ,
    text[w + 2] = 0x22
    writeHex(text, w + 3, positions[p + i] as number)
    w += 3 + checkpointWidth
    text[w] = 0x22
    text[w + 1] = 0x2c
    w += 2
    for (let b = bodyStart + 1; b < bodyEnd - 1; b++) text[w++] = buf[b] as number
    text[w++] = 0x2c
  }
  text[w - 1] = 0x5d // ]
  const values = JSON.parse(text.toString("utf8", 0, w)) as Array<unknown>
  if (!Array.isArray(values) || values.length !== 4 * count) {
    throw corrupt(ats[0] as number, "record bodies do not hold [data, metadata]")
  }
  const cache: TypeCache = { start: 0, length: -1, value: "" }
  for (let i = 0; i < count; i++) {
    const at = ats[i] as number
    const typeStart = at + headerSize + view.getUint16(at + 10, true)
    const typeLength = view.getUint16(at + 12, true)
    if (!sameBytes(buf, cache.start, typeStart, typeLength, cache.length)) {
      cache.value = buf.toString("utf8", typeStart, typeStart + typeLength)
    }
    cache.start = typeStart
    cache.length = typeLength
    const v = 4 * i
    out[outAt + i] = {
      eventId: values[v] as string,
      eventType: cache.value,
      schemaVersion: view.getFloat64(at + 32, true),
      data: values[v + 2] as Event.RecordedEvent["data"],
      metadata: values[v + 3] as Event.RecordedEvent["metadata"],
      streamId: streamOf(positions[p + i] as number) as Event.RecordedEvent["streamId"],
      streamVersion: view.getUint32(at + 40, true),
      globalPosition:
        checkpoint === undefined
          ? (values[v + 1] as Event.RecordedEvent["globalPosition"])
          : checkpoint(positions[p + i] as number),
      recordedAt: view.getFloat64(at + 24, true)
    }
  }
}

/** Whether `buf[a, a + length)` equals `buf[b, b + length)`, given the first range's length `lengthA`. */
const sameBytes = (buf: Buffer, a: number, b: number, length: number, lengthA: number): boolean => {
  if (length !== lengthA) return false
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false
  return true
}
