/**
 * The log: numbered, preallocated segment files of records, and the scan that rebuilds the
 * index from them. Segments are zero-filled when created, so appending writes into space the
 * file already owns and an `fdatasync` has no file-size change to flush; and on open, zero bytes
 * mark the end of written data, which tells a clean end from a torn record from damage.
 *
 * Opening reads each segment once, checks every record's checksum, and stops at the first byte
 * that is not a record. What follows that point decides:
 * - only zeros: the end of the data;
 * - non-zero bytes but no valid record, in the last segment: a write cut short by a crash
 *   (never acknowledged, since acknowledgement waits for the flush); it is cut off;
 * - a valid record, or anything at all in an earlier segment: damage, reported with the file
 *   and byte offset; nothing is skipped silently.
 * An append's records carry how many records follow them in the same append, so an append cut
 * short between two records is removed as a whole.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Crc32c from "./Crc32c.ts"
import { Corruption, readFully, syncDirectory, writeFully, zeroFill } from "./Fs.ts"
import type { Index } from "./Index.ts"
import * as Record from "./Record.ts"

/** Bytes at the start of each segment: "VOUCHLOG", u32 segment number, u32 CRC-32C of the first 12. */
export const segmentHeaderSize = 16
const segmentMagic = Buffer.from("VOUCHLOG", "latin1")
const segmentPattern = /^segment-(\d{10})\.log$/

/** One segment file, open for reading (and writing, for a writer). */
export interface Segment {
  readonly index: number
  readonly file: string
  readonly fd: number
  readonly capacity: number
  /** The offset after the last record written. */
  end: number
}

/** The file name of segment `index` (counting from 0). */
export const fileName = (index: number): string => `segment-${String(index + 1).padStart(10, "0")}.log`

const header = (index: number): Buffer => {
  const bytes = Buffer.alloc(segmentHeaderSize)
  segmentMagic.copy(bytes, 0)
  bytes.writeUInt32LE(index + 1, 8)
  bytes.writeUInt32LE(Crc32c.compute(bytes, 0, 12), 12)
  return bytes
}

/**
 * Creates a zero-filled segment durably: written under a temporary name, synced, renamed into
 * place and the directory synced, so a segment file is either complete or absent.
 */
export const createSegment = (directory: string, index: number, capacity: number): Segment => {
  const file = path.join(directory, fileName(index))
  const temp = `${file}.tmp`
  const fd = fs.openSync(temp, "w+")
  try {
    writeFully(fd, header(index), 0)
    zeroFill(fd, segmentHeaderSize, capacity)
    fs.fsyncSync(fd)
    fs.renameSync(temp, file)
    syncDirectory(directory)
  } catch (error) {
    fs.closeSync(fd)
    fs.rmSync(temp, { force: true })
    throw error
  }
  return { index, file, fd, capacity, end: segmentHeaderSize }
}

/** A record of an append seen so far; its id is read from the buffer, or kept as a string once the buffer moves on. */
interface Pending {
  readonly ordinal: number
  readonly segment: number
  readonly offset: number
  readonly length: number
  readonly idAt: number
  id: string | undefined
}

/** Records of an append seen so far, held back until its last record proves it complete. */
interface Batch {
  segment: number
  start: number
  records: Array<Pending>
  remaining: number
}

/** The scanner's place in the log; kept between calls by a read-only store that tails the log. */
export interface Cursor {
  segment: number
  offset: number
}

interface Stop {
  readonly at: number
  readonly reason: string
}

const commit = (index: Index, buf: Buffer, records: ReadonlyArray<Pending>): void => {
  for (const record of records) {
    const position = index.place(record.ordinal, record.segment, record.offset, record.length)
    if (record.id === undefined) index.ids.setBytes(buf, record.idAt, position)
    else index.ids.set(record.id, position)
  }
}

/**
 * Parses records of segment `segment` from file offset `from`, given bytes `buf` that hold file
 * offsets `[base, base + buf.length)`, of which `[base, limit)` are meaningful. Complete appends
 * go into the index; the records of an append not yet complete stay in `state.batch`.
 */
const parse = (
  buf: Buffer,
  base: number,
  from: number,
  limit: number,
  segment: Segment,
  index: Index,
  state: { batch: Batch | undefined }
): Stop => {
  let at = from
  // Consecutive records usually belong to one stream: reuse the last decoded id when the bytes match.
  let lastStart = -1
  let lastLength = -1
  let lastOrdinal = -1
  let stop: Stop
  for (;;) {
    const local = at - base
    const problem = Record.check(buf, local, limit - base)
    if (problem !== undefined) {
      stop = { at, reason: problem }
      break
    }
    const batch = state.batch
    const pendingCount = batch === undefined ? 0 : batch.records.length
    const expected = index.head + pendingCount + 1
    const position = Record.position(buf, local)
    if (position !== expected) {
      throw new Corruption(segment.file, at, `record holds position ${position} where ${expected} was expected`)
    }
    const streamStart = local + Record.headerSize
    const streamLength = buf.readUInt16LE(local + 10)
    let ordinal: number
    if (
      streamLength === lastLength &&
      buf.compare(buf, lastStart, lastStart + lastLength, streamStart, streamStart + streamLength) === 0
    ) {
      ordinal = lastOrdinal
    } else {
      ordinal = index.ordinalFor(buf.toString("utf8", streamStart, streamStart + streamLength))
      lastOrdinal = ordinal
    }
    lastStart = streamStart
    lastLength = streamLength
    const remaining = Record.batchRemaining(buf, local)
    const size = Record.size(buf, local)
    if (batch !== undefined) {
      if (batch.records[0]?.ordinal !== ordinal) {
        throw new Corruption(segment.file, at, "record of an append changes stream mid-append")
      }
      if (remaining !== batch.remaining - 1)
        throw new Corruption(segment.file, at, "records of an append are out of sequence")
    }
    const version = Record.streamVersion(buf, local)
    if (version !== (index.streamPositions[ordinal] as Array<number>).length + pendingCount + 1) {
      throw new Corruption(segment.file, at, `stream version ${version} breaks the sequence of its stream`)
    }
    if (batch === undefined && remaining === 0) {
      // The common case, an append of one event: no batch to hold.
      const placed = index.place(ordinal, segment.index, at, size)
      index.ids.setBytes(buf, local + 48, placed)
    } else {
      const current = batch ?? { segment: segment.index, start: at, records: [], remaining }
      state.batch = current
      current.remaining = remaining
      current.records.push({
        ordinal,
        segment: segment.index,
        offset: at,
        length: size,
        idAt: local + 48,
        id: undefined
      })
      if (remaining === 0) {
        commit(index, buf, current.records)
        state.batch = undefined
      }
    }
    at += size
  }
  // The buffer is about to be reused: keep the ids of an unfinished append as strings.
  for (const record of state.batch?.records ?? []) {
    if (record.id === undefined) record.id = buf.toString("latin1", record.idAt, record.idAt + Record.eventIdLength)
  }
  return stop
}

const chunk = 1 << 16
const zeroChunk = Buffer.alloc(chunk)

/** One past the last non-zero byte of `buf[from, to)`, or `from` when all are zero. */
const dirtyEnd = (buf: Buffer, from: number, to: number): number => {
  let end = to
  while (end > from) {
    const start = Math.max(from, end - chunk)
    if (buf.compare(zeroChunk, 0, end - start, start, end) !== 0) {
      for (let i = end - 1; i >= start; i--) if (buf[i] !== 0) return i + 1
    }
    end = start
  }
  return from
}

/** Whether a valid record (ending before `limit`) of position at least `minPosition` starts anywhere in `buf(from, to)`. */
const validRecordAfter = (buf: Buffer, from: number, to: number, limit: number, minPosition: number): boolean => {
  const m0 = Record.magic & 0xff
  const m1 = Record.magic >>> 8
  for (let q = from + 1; q + Record.headerSize <= to; q++) {
    if (buf[q + 8] !== m0 || buf[q + 9] !== m1) continue
    const position = Record.position(buf, q)
    if (!Number.isSafeInteger(position) || position < minPosition) continue
    if (Record.check(buf, q, limit) === undefined) return true
  }
  return false
}

/** What `open` found. */
export interface Opened {
  readonly segments: Array<Segment>
  /** Where a read-only store continues scanning when it polls. */
  readonly cursor: Cursor
}

/** A rough count of the events in a store (full segments only, at 200 bytes an event), to size the index. */
export const estimateEvents = (directory: string): number => {
  try {
    const names = fs.readdirSync(directory).filter((name) => segmentPattern.test(name))
    let bytes = 0
    for (const name of names.sort().slice(0, -1)) bytes += fs.statSync(path.join(directory, name)).size
    return Math.floor(bytes / 200)
  } catch {
    return 0
  }
}

/** Lists segment files, checks they are numbered without gaps, and removes leftover temp files (writer only). */
const listSegments = (directory: string, readOnly: boolean): Array<string> => {
  const files: Array<string> = []
  for (const name of fs.readdirSync(directory)) {
    if (segmentPattern.test(name)) files.push(name)
    else if (!readOnly && name.startsWith("segment-") && name.endsWith(".tmp")) {
      fs.rmSync(path.join(directory, name), { force: true })
    }
  }
  files.sort()
  files.forEach((name, i) => {
    if (name !== fileName(i)) {
      throw new Corruption(path.join(directory, fileName(i)), 0, "segment file is missing")
    }
  })
  return files
}

const checkHeader = (buf: Buffer, segment: Segment): void => {
  if (
    segment.capacity < segmentHeaderSize ||
    buf.compare(segmentMagic, 0, 8, 0, 8) !== 0 ||
    buf.readUInt32LE(8) !== segment.index + 1 ||
    buf.readUInt32LE(12) !== Crc32c.compute(buf, 0, 12)
  ) {
    throw new Corruption(segment.file, 0, "bad segment header")
  }
}

/**
 * Opens every segment and rebuilds `index`. A writer cuts a torn tail off (overwriting it with
 * zeros, then syncing) and gets at least one segment to write into; a read-only store changes
 * nothing.
 */
export const open = (directory: string, index: Index, options: { readOnly: boolean; segmentSize: number }): Opened => {
  const names = listSegments(directory, options.readOnly)
  const segments: Array<Segment> = []
  const dirty: Array<number> = []
  const state: { batch: Batch | undefined } = { batch: undefined }
  let torn: Cursor | undefined
  let buf = Buffer.alloc(0)
  try {
    for (let i = 0; i < names.length; i++) {
      const file = path.join(directory, names[i] as string)
      const fd = fs.openSync(file, options.readOnly ? "r" : "r+")
      const capacity = fs.fstatSync(fd).size
      const segment: Segment = { index: i, file, fd, capacity, end: segmentHeaderSize }
      segments.push(segment)
      if (buf.length < capacity) buf = Buffer.allocUnsafe(capacity)
      const read = readFully(fd, buf, 0, capacity, 0)
      checkHeader(buf, segment)
      const stop = parse(buf, 0, segmentHeaderSize, read, segment, index, state)
      const end = dirtyEnd(buf, stop.at, read)
      segment.end = stop.at
      dirty.push(end)
      if (end > stop.at) {
        const last = i === names.length - 1
        if (!last) throw new Corruption(file, stop.at, `${stop.reason}, and later segments hold data`)
        if (validRecordAfter(buf, stop.at, end, read, index.head + 1)) {
          throw new Corruption(file, stop.at, `${stop.reason}, and valid records follow it`)
        }
        torn = { segment: i, offset: stop.at }
      }
    }
  } catch (error) {
    for (const segment of segments) fs.closeSync(segment.fd)
    throw error
  }
  const batch = state.batch as Batch | undefined
  const cut: Cursor | undefined = batch !== undefined ? { segment: batch.segment, offset: batch.start } : torn
  if (cut !== undefined) {
    for (let i = cut.segment; i < segments.length; i++) {
      const segment = segments[i] as Segment
      const from = i === cut.segment ? cut.offset : segmentHeaderSize
      segment.end = from
      if (!options.readOnly) {
        zeroFill(segment.fd, from, Math.max(from, dirty[i] as number))
        fs.fdatasyncSync(segment.fd)
      }
    }
  }
  if (segments.length === 0 && !options.readOnly) {
    segments.push(createSegment(directory, 0, options.segmentSize))
  }
  const last = segments[segments.length - 1]
  const cursor: Cursor =
    cut !== undefined ? cut : { segment: Math.max(0, segments.length - 1), offset: last?.end ?? segmentHeaderSize }
  return { segments, cursor }
}

/**
 * For a read-only store: reads what a writer has appended since the last call, from `cursor` on.
 * Stops quietly at anything that is not (yet) a complete append: the writer may be mid-write.
 */
export const refresh = (directory: string, segments: Array<Segment>, cursor: Cursor, index: Index): void => {
  const state: { batch: Batch | undefined } = { batch: undefined }
  let at: Cursor = { segment: cursor.segment, offset: cursor.offset }
  let readSize = 1 << 16
  for (;;) {
    let segment = segments[at.segment]
    if (segment === undefined) {
      const file = path.join(directory, fileName(at.segment))
      if (!fs.existsSync(file)) return
      const fd = fs.openSync(file, "r")
      segment = { index: at.segment, file, fd, capacity: fs.fstatSync(fd).size, end: segmentHeaderSize }
      if (segment.capacity < segmentHeaderSize) {
        fs.closeSync(fd)
        return
      }
      segments.push(segment)
    }
    const length = Math.max(0, Math.min(readSize, segment.capacity - at.offset))
    const buf = Buffer.allocUnsafe(length)
    const read = readFully(segment.fd, buf, 0, length, at.offset)
    const stop = parse(buf, at.offset, at.offset, at.offset + read, segment, index, state)
    if (state.batch === undefined) {
      cursor.segment = at.segment
      cursor.offset = stop.at
    }
    if (stop.at > at.offset) {
      at = { segment: at.segment, offset: stop.at }
      readSize = 1 << 16
      continue
    }
    const partial = stop.reason !== "zero length" && at.offset + read < segment.capacity && read === length
    if (partial) {
      readSize *= 4
      continue
    }
    // Nothing more in this segment: the writer may have moved on to the next one.
    if (stop.reason === "zero length" || at.offset + Record.headerSize > segment.capacity) {
      at = { segment: at.segment + 1, offset: segmentHeaderSize }
      if (segments[at.segment] !== undefined || fs.existsSync(path.join(directory, fileName(at.segment)))) continue
    }
    return
  }
}
