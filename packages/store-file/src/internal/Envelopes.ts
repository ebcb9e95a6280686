/**
 * Turns runs of records, read from a segment with one `pread`, into the envelopes a reader gets.
 * A read of a long stream is dominated by this step, so it does as little per event as it can:
 *
 * - one `JSON.parse` per run, over the records' JSON bodies copied into one text, instead of one
 *   parse (and one buffer-to-string conversion) per record;
 * - event ids and global positions, which are plain ASCII, are not parsed as JSON: they are
 *   copied into one short string per group of records, and each envelope gets a substring of it
 *   (V8 makes those slices without copying characters, and allocates far less than a string each);
 * - empty metadata, the common case, is not parsed either: every such envelope shares one frozen
 *   empty object, as the kernel does on append (and so the memory store's envelopes do).
 */
import type { Event } from "@vouch/core"
import * as Record from "./Record.ts"
import { Scratch } from "./Scratch.ts"

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

const emptyMetadata: Event.EventMetadata = Object.freeze({})

// Ids and positions of this many records share one string. A slice keeps its whole string alive,
// so an id or position kept after its envelope is dropped holds at most this group's text.
const group = 64
const idLength = Record.eventIdLength
const perGroupEntry = idLength + checkpointWidth

/** Remembers the last event type decoded, since neighbouring records usually share one. */
interface TypeCache {
  start: number
  length: number
  value: string
}

/** Whether `buf[a, a + length)` equals `buf[b, b + length)`, given the first range's length `lengthA`. */
const sameBytes = (buf: Buffer, a: number, b: number, length: number, lengthA: number): boolean => {
  if (length !== lengthA) return false
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false
  return true
}

/**
 * Copies `length` bytes from `from[fromAt..]` to `to[toAt..]`, four at a time: for the few dozen
 * bytes of an id or a body this is several times faster than a byte loop or `Buffer#copy`.
 */
const copyBytes = (from: DataView, fromAt: number, to: DataView, toAt: number, length: number): void => {
  let i = 0
  for (; i + 4 <= length; i += 4) to.setUint32(toAt + i, from.getUint32(fromAt + i, true), true)
  for (; i < length; i++) to.setUint8(toAt + i, from.getUint8(fromAt + i))
}

const viewOf = (bytes: Buffer): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.length)

// Where each record's JSON to parse starts and ends (its body without the outer brackets, and
// without `,{}` when metadata is empty, marked by a negative end), reused between calls.
// The JSON text of a run: a run is at most a megabyte of records, so this is rarely exceeded.
const textBuffer = new Scratch(1024 * 1024)

let spanStarts = new Int32Array(1024)
let spanEnds = new Int32Array(1024)

const { length: lengthField, streamIdLength, eventTypeLength, schemaVersion, streamVersion, recordedAt } = Record.field

/**
 * Decodes the complete records at offsets `ats[0..count)` of `buf` (which the caller has checked
 * against the index) into `out[outAt..]`. `positions[p + i]` is record i's global position and
 * `streamOf(position)` its stream.
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
  const source = viewOf(buf)
  if (spanStarts.length < count) {
    spanStarts = new Int32Array(Math.max(count, 2 * spanStarts.length))
    spanEnds = new Int32Array(spanStarts.length)
  }
  // The JSON text: `[` then, per record, `data,` (or `data,metadata,` when metadata is not empty).
  let total = 2
  let values = 0
  for (let i = 0; i < count; i++) {
    const at = ats[i] as number
    const bodyStart =
      at +
      Record.headerSize +
      source.getUint16(at + streamIdLength, true) +
      source.getUint16(at + eventTypeLength, true)
    const bodyEnd = at + 8 + source.getUint32(at + lengthField, true)
    if (bodyEnd - bodyStart < 2 || buf[bodyStart] !== 0x5b || buf[bodyEnd - 1] !== 0x5d) {
      throw corrupt(at, "record body is not a JSON array")
    }
    // `,{}]` closes a body only when its last element, metadata, is the empty object.
    const empty = buf[bodyEnd - 2] === 0x7d && buf[bodyEnd - 3] === 0x7b && buf[bodyEnd - 4] === 0x2c
    spanStarts[i] = bodyStart + 1
    spanEnds[i] = empty ? -(bodyEnd - 4) : bodyEnd - 1
    total += bodyEnd - bodyStart
    values += empty ? 1 : 2
  }
  const text = textBuffer.take(total)
  const textView = viewOf(text)
  text[0] = 0x5b // [
  let w = 1
  for (let i = 0; i < count; i++) {
    const start = spanStarts[i] as number
    const length = Math.abs(spanEnds[i] as number) - start
    copyBytes(source, start, textView, w, length)
    w += length
    text[w++] = 0x2c // ,
  }
  if (w === 1) w++
  text[w - 1] = 0x5d // ]
  let parsed: unknown
  try {
    parsed = JSON.parse(text.toString("utf8", 0, w))
  } catch {
    throw corrupt(ats[0] as number, "record bodies are not valid JSON")
  }
  if (!Array.isArray(parsed) || parsed.length !== values) {
    throw corrupt(ats[0] as number, "record bodies do not hold [data, metadata]")
  }
  const ids = Buffer.allocUnsafe(Math.min(count, group) * perGroupEntry)
  const idsView = viewOf(ids)
  let idText = ""
  let v = 0
  const cache: TypeCache = { start: 0, length: -1, value: "" }
  for (let i = 0; i < count; i++) {
    const at = ats[i] as number
    const position = positions[p + i] as number
    const g = i % group
    if (g === 0) {
      // The next group's ids and positions, as one string to slice.
      const n = Math.min(group, count - i)
      for (let k = 0; k < n; k++) {
        copyBytes(source, (ats[i + k] as number) + Record.field.eventId, idsView, k * perGroupEntry, idLength)
        writeHex(ids, k * perGroupEntry + idLength, positions[p + i + k] as number)
      }
      idText = ids.toString("latin1", 0, n * perGroupEntry)
    }
    const typeStart = at + Record.headerSize + source.getUint16(at + streamIdLength, true)
    const typeLength = source.getUint16(at + eventTypeLength, true)
    if (!sameBytes(buf, cache.start, typeStart, typeLength, cache.length)) {
      cache.value = buf.toString("utf8", typeStart, typeStart + typeLength)
    }
    cache.start = typeStart
    cache.length = typeLength
    const data = parsed[v++] as Event.RecordedEvent["data"]
    const metadata = (spanEnds[i] as number) < 0 ? emptyMetadata : (parsed[v++] as Event.RecordedEvent["metadata"])
    const entry = g * perGroupEntry
    out[outAt + i] = {
      eventId: idText.substring(entry, entry + idLength),
      eventType: cache.value,
      schemaVersion: source.getFloat64(at + schemaVersion, true),
      data,
      metadata,
      streamId: streamOf(position) as Event.RecordedEvent["streamId"],
      streamVersion: source.getUint32(at + streamVersion, true),
      globalPosition:
        checkpoint !== undefined
          ? checkpoint(position)
          : // The last position is the one callers keep (a loaded aggregate's, a reader's next
            // checkpoint): a string of its own, so that it does not keep its group's text alive.
            ((i === count - 1
              ? ids.toString("latin1", entry + idLength, entry + perGroupEntry)
              : idText.substring(entry + idLength, entry + perGroupEntry)) as Event.RecordedEvent["globalPosition"]),
      recordedAt: source.getFloat64(at + recordedAt, true)
    }
  }
}
