/**
 * The file adapter: a durable, crash-safe event store in one directory of plain files, the
 * embedded default. Events go to an append-only log of preallocated segment files (see
 * `internal/Log.ts` for the format and what opening does after a crash); an in-memory index of
 * positions and offsets makes stream and global reads a few `pread`s; checkpoints are small
 * files replaced atomically.
 *
 * Durability: an append is acknowledged only after its bytes are written and `fdatasync`ed.
 * Appends that arrive while a flush is due share it (group commit): each append is checked and
 * indexed at once, in one synchronous step, so version checks never interleave; its bytes wait
 * for the next flush, which writes everything pending in one go and syncs once. Readers see an
 * event only once it is durable, so nothing a reader saw can vanish in a crash.
 *
 * One process writes; others may open the same directory read-only and follow the log by polling.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  Checkpoint,
  CheckpointStore,
  ConcurrencyConflict,
  type DuplicateEventId,
  type Event,
  EventStore,
  ExpectedVersion,
  Idempotency,
  type InvalidCheckpoint,
  StorageFailure,
  Waiters
} from "@vouch/core"
import { Clock, Context, Effect, Layer, Option, Result, Schema, type Scope } from "effect"
import * as Envelopes from "./internal/Envelopes.ts"
import { Corruption, codeOf, failure, readFully, writeFileAtomic, writeFully } from "./internal/Fs.ts"
import { Index } from "./internal/Index.ts"
import * as Lock from "./internal/Lock.ts"
import * as Log from "./internal/Log.ts"
import * as Record from "./internal/Record.ts"
import { Scratch } from "./internal/Scratch.ts"

/** Another live process holds the store's write lock. */
export class StoreLocked extends Schema.TaggedError<StoreLocked>()("StoreLocked", {
  directory: Schema.String,
  /** The holder's process id, when the lock file names one. */
  pid: Schema.optionalKey(Schema.Number),
  reason: Schema.String
}) {
  override get message(): string {
    return `Event store ${this.directory} is locked: ${this.reason}`
  }
}

/** The log is damaged somewhere other than a torn tail; the store refuses to open rather than skip it. */
export class StoreCorrupted extends Schema.TaggedError<StoreCorrupted>()("StoreCorrupted", {
  file: Schema.String,
  offset: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `Event store file ${this.file} is damaged at byte ${this.offset}: ${this.reason}`
  }
}

/** Why an append on a read-only store failed; carried as the cause of a `StorageFailure`. */
export class StoreReadOnly extends Schema.TaggedError<StoreReadOnly>()("StoreReadOnly", {
  directory: Schema.String
}) {
  override get message(): string {
    return `Event store ${this.directory} was opened read-only`
  }
}

/** How to open a store. */
export interface Options {
  /** The directory that holds the store; created when missing. */
  readonly directory: string
  /** Open without the write lock: appends and checkpoint saves fail, reads follow the writer by polling. */
  readonly readOnly?: boolean
  /** The size of each preallocated segment file in bytes (default 64 MiB). */
  readonly segmentSize?: number
  /** How often a read-only store polls for new events while waiting, in milliseconds (default 100). */
  readonly pollInterval?: number
}

/** The default size of a segment file. */
export const defaultSegmentSize = 64 * 1024 * 1024

/** The two services this adapter provides. */
export interface FileStores {
  readonly eventStore: EventStore.Service
  readonly checkpointStore: CheckpointStore.Service
}

interface Write {
  readonly segment: number
  readonly offset: number
  readonly bytes: Buffer
}

interface Waiter {
  readonly result: EventStore.AppendResult
  readonly resume: (effect: Effect.Effect<EventStore.AppendResult, StorageFailure>) => void
  cancelled: boolean
}

// Ranges of records closer than this are read with one pread, and reads are cut at the run limit
// (the size of the buffer reads reuse).
const gapLimit = 16 * 1024
const runLimit = 1024 * 1024
const readBuffer = new Scratch(runLimit)
// Whether the record decoder may write global positions as checkpoint text itself.
const ownCheckpoints = Envelopes.checkpointsMatch(Checkpoint.fromNumber)

/**
 * The bytes of `writes[from, to)`, which go to consecutive file offsets, as one buffer. Appends
 * encoded one after another sit side by side in the encoder's slab, so usually this is a view
 * over them rather than a copy.
 */
const joined = (writes: ReadonlyArray<Write>, from: number, to: number): Buffer => {
  const first = (writes[from] as Write).bytes
  if (to - from === 1) return first
  let length = first.length
  let adjacent = true
  for (let k = from + 1; k < to; k++) {
    const bytes = (writes[k] as Write).bytes
    adjacent &&= bytes.buffer === first.buffer && bytes.byteOffset === first.byteOffset + length
    length += bytes.length
  }
  if (adjacent) return Buffer.from(first.buffer, first.byteOffset, length)
  return Buffer.concat(
    writes.slice(from, to).map((w) => w.bytes),
    length
  )
}

const openStore = (options: Options) => {
  const directory = path.resolve(options.directory)
  const readOnly = options.readOnly === true
  const segmentSize = Math.max(options.segmentSize ?? defaultSegmentSize, Log.segmentHeaderSize + Record.headerSize)
  const pollInterval = options.pollInterval ?? 100
  const checkpointDirectory = path.join(directory, "checkpoints")

  if (readOnly) {
    if (!fs.existsSync(directory)) throw failure(`opening ${directory} read-only`, new Error("no such directory"))
  } else {
    fs.mkdirSync(checkpointDirectory, { recursive: true })
  }
  const release = readOnly ? () => {} : Lock.acquire(directory)
  const index = new Index(Log.estimateEvents(directory))
  let opened: Log.Opened
  try {
    opened = Log.open(directory, index, { readOnly, segmentSize })
    if (!readOnly) {
      for (const name of fs.readdirSync(checkpointDirectory)) {
        if (name.endsWith(".tmp")) fs.rmSync(path.join(checkpointDirectory, name), { force: true })
      }
    }
  } catch (error) {
    release()
    throw error
  }
  const segments = opened.segments
  const cursor = opened.cursor

  let durableHead = index.head
  let pending: Array<Write> = []
  let ackWaiters: Array<Waiter> = []
  let flushScheduled: ReturnType<typeof setImmediate> | undefined
  let broken: StorageFailure | undefined
  let closed = false
  // Readers of this process waiting for an append to become durable.
  const appended = Waiters.make()

  /** Writes everything pending, syncs once, then acknowledges every append that was waiting. */
  const flush = () => {
    flushScheduled = undefined
    const writes = pending
    const waiters = ackWaiters
    pending = []
    ackWaiters = []
    const target = index.head
    if (broken === undefined && writes.length > 0) {
      try {
        let previous: Log.Segment | undefined
        let i = 0
        while (i < writes.length) {
          const first = writes[i] as Write
          let end = first.offset + first.bytes.length
          let j = i + 1
          while (
            j < writes.length &&
            (writes[j] as Write).segment === first.segment &&
            (writes[j] as Write).offset === end
          ) {
            end += (writes[j] as Write).bytes.length
            j++
          }
          const segment = segments[first.segment] as Log.Segment
          // A segment is synced before the next one is written, so only the last one can hold a torn write.
          if (previous !== undefined && previous !== segment) fs.fdatasyncSync(previous.fd)
          const bytes = joined(writes, i, j)
          writeFully(segment.fd, bytes, first.offset)
          previous = segment
          i = j
        }
        if (previous !== undefined) fs.fdatasyncSync(previous.fd)
        durableHead = target
      } catch (error) {
        const cause = failure("writing to the log failed; appends since the last sync may or may not be stored", error)
        // The index already holds events that may not be on disk: refuse everything until reopened.
        broken = new StorageFailure({ reason: `${cause.reason}; reopen the store`, retryable: false, cause: error })
      }
    } else if (broken === undefined) {
      durableHead = target
    }
    for (const waiter of waiters) {
      if (waiter.cancelled) continue
      waiter.resume(broken === undefined ? Effect.succeed(waiter.result) : Effect.fail(broken))
    }
    appended.wakeAll()
  }

  const scheduleFlush = () => {
    if (flushScheduled === undefined) flushScheduled = setImmediate(flush)
  }

  /** Succeeds with `result` once everything up to `position` is durable. */
  const whenDurable = (
    position: number,
    result: EventStore.AppendResult
  ): Effect.Effect<EventStore.AppendResult, StorageFailure> => {
    if (position <= durableHead) return Effect.succeed(result)
    return Effect.callback<EventStore.AppendResult, StorageFailure>((resume) => {
      const waiter: Waiter = { result, resume, cancelled: false }
      ackWaiters.push(waiter)
      scheduleFlush()
      return Effect.sync(() => {
        waiter.cancelled = true
      })
    })
  }

  const locate = (eventId: string): Idempotency.Location | undefined => {
    const position = index.ids.get(eventId)
    return position === undefined
      ? undefined
      : { streamId: index.streamAt(position), streamVersion: index.versionOf.get(position - 1) }
  }

  const unavailable = (): StorageFailure | undefined => {
    if (closed) return new StorageFailure({ reason: `event store ${directory} is closed`, retryable: false })
    if (readOnly) {
      return new StorageFailure({
        reason: `event store ${directory} was opened read-only`,
        retryable: false,
        cause: new StoreReadOnly({ directory })
      })
    }
    return broken
  }

  /** Finds room for records of the given sizes, creating segments as needed; returns each record's place. */
  const place = (sizes: ReadonlyArray<number>): Array<{ segment: number; offset: number }> => {
    const capacities: Array<number> = []
    let segment = segments.length - 1
    let end = (segments[segment] as Log.Segment).end
    const placements: Array<{ segment: number; offset: number }> = []
    for (const size of sizes) {
      const capacity =
        segment < segments.length
          ? (segments[segment] as Log.Segment).capacity
          : (capacities[segment - segments.length] as number)
      if (end + size > capacity) {
        segment++
        capacities.push(Math.max(segmentSize, Log.segmentHeaderSize + size))
        end = Log.segmentHeaderSize
      }
      placements.push({ segment, offset: end })
      end += size
    }
    for (const capacity of capacities) segments.push(Log.createSegment(directory, segments.length, capacity))
    return placements
  }

  const appendNow = (
    request: Event.PreparedAppend,
    expected: ExpectedVersion.ExpectedVersion,
    now: number
  ): Effect.Effect<EventStore.AppendResult, ConcurrencyConflict | DuplicateEventId | StorageFailure> => {
    const refused = unavailable()
    if (refused !== undefined) return Effect.fail(refused)
    const streamId = request.streamId
    const current = index.version(streamId)
    const verdict = Idempotency.check(request, expected, locate)
    if (Result.isFailure(verdict)) return Effect.fail(verdict.failure)
    if (verdict.success._tag === "Duplicate") {
      const positions = index.streamPositions[index.ordinal(streamId)] as Array<number>
      const last = positions[verdict.success.lastVersion - 1] as number
      return whenDurable(last, {
        streamId,
        firstVersion: verdict.success.firstVersion,
        lastVersion: verdict.success.lastVersion,
        position: Checkpoint.fromNumber(last),
        duplicate: true
      })
    }
    if (!ExpectedVersion.isSatisfiedBy(expected, current)) {
      return Effect.fail(new ConcurrencyConflict({ streamId, expected, actual: current }))
    }
    const events = request.events
    if (events.length === 0) {
      // The check above may have counted events not yet durable: answer once they are.
      return whenDurable(index.head, {
        streamId,
        firstVersion: current + 1,
        lastVersion: current,
        position: index.head === 0 ? Checkpoint.beginning : Checkpoint.fromNumber(index.head),
        duplicate: false
      })
    }
    const encoded = Record.encodeBatch(streamId, events, index.head + 1, current + 1, now)
    const starts = encoded.starts
    const total = encoded.bytes.length
    const tail = segments[segments.length - 1] as Log.Segment
    if (tail.end + total <= tail.capacity) {
      // The common case: the whole append fits in the last segment and goes out as one write.
      const ordinal = index.ordinalFor(streamId)
      const offset = tail.end
      for (let i = 0; i < events.length; i++) {
        const start = starts[i] as number
        const end = i + 1 < starts.length ? (starts[i + 1] as number) : total
        index.add(ordinal, (events[i] as Event.NewEvent).eventId, tail.index, offset + start, end - start)
      }
      tail.end = offset + total
      pending.push({ segment: tail.index, offset, bytes: encoded.bytes })
    } else {
      const sizes = starts.map((start, i) => (i + 1 < starts.length ? (starts[i + 1] as number) : total) - start)
      let placements: Array<{ segment: number; offset: number }>
      try {
        placements = place(sizes)
      } catch (error) {
        return Effect.fail(failure(`creating a segment in ${directory}`, error))
      }
      const ordinal = index.ordinalFor(streamId)
      let run: { segment: number; offset: number; start: number; end: number } | undefined
      for (let i = 0; i < events.length; i++) {
        const at = placements[i] as { segment: number; offset: number }
        const size = sizes[i] as number
        const start = starts[i] as number
        index.add(ordinal, (events[i] as Event.NewEvent).eventId, at.segment, at.offset, size)
        ;(segments[at.segment] as Log.Segment).end = at.offset + size
        // Records placed back to back in one segment go out as one write.
        if (run !== undefined && run.segment === at.segment && run.offset + (run.end - run.start) === at.offset) {
          run.end = start + size
        } else {
          if (run !== undefined)
            pending.push({
              segment: run.segment,
              offset: run.offset,
              bytes: encoded.bytes.subarray(run.start, run.end)
            })
          run = { segment: at.segment, offset: at.offset, start, end: start + size }
        }
      }
      if (run !== undefined)
        pending.push({ segment: run.segment, offset: run.offset, bytes: encoded.bytes.subarray(run.start, run.end) })
    }
    return whenDurable(index.head, {
      streamId,
      firstVersion: current + 1,
      lastVersion: current + events.length,
      position: Checkpoint.fromNumber(index.head),
      duplicate: false
    })
  }

  /** A read-only store catches up with the writer; a writer knows everything already. */
  const catchUp = (): StorageFailure | undefined => {
    if (!readOnly || closed) return undefined
    try {
      Log.refresh(directory, segments, cursor, index)
      durableHead = index.head
      return undefined
    } catch (error) {
      return error instanceof Corruption
        ? new StorageFailure({ reason: error.message, retryable: false, cause: error })
        : failure(`reading ${directory}`, error)
    }
  }

  const streamAt = (position: number): string => index.streamAt(position)

  /** Reads the events at `positions` (ascending), fetching neighbouring records with one pread. */
  const readPositions = (positions: ReadonlyArray<number>): Array<Event.RecordedEvent> => {
    const out: Array<Event.RecordedEvent> = new Array(positions.length)
    let ats = new Int32Array(256)
    let i = 0
    while (i < positions.length) {
      const first = positions[i] as number
      const segment = index.segmentOf.get(first - 1)
      const start = index.offsetOf.get(first - 1)
      let end = start + index.lengthOf.get(first - 1)
      let j = i + 1
      while (j < positions.length) {
        const p = (positions[j] as number) - 1
        const offset = index.offsetOf.get(p)
        if (index.segmentOf.get(p) !== segment || offset < end || offset - end > gapLimit) break
        const next = offset + index.lengthOf.get(p)
        if (next - start > runLimit) break
        end = next
        j++
      }
      const buf = readBuffer.take(end - start)
      const fd = (segments[segment] as Log.Segment).fd
      const read = readFully(fd, buf, 0, end - start, start)
      if (read !== end - start)
        throw new Corruption((segments[segment] as Log.Segment).file, start + read, "unexpected end of file")
      const file = (segments[segment] as Log.Segment).file
      const count = j - i
      if (ats.length < count) ats = new Int32Array(Math.max(count, 2 * ats.length))
      for (let k = 0; k < count; k++) {
        const position = positions[i + k] as number
        const at = index.offsetOf.get(position - 1) - start
        if (Record.size(buf, at) !== index.lengthOf.get(position - 1) || Record.position(buf, at) !== position) {
          throw new Corruption(file, at + start, "record changed since the store was opened")
        }
        ats[k] = at
      }
      Envelopes.decodeRun(
        buf,
        ats,
        count,
        positions,
        i,
        streamAt,
        out,
        i,
        (at, reason) => new Corruption(file, at + start, reason),
        ownCheckpoints ? undefined : Checkpoint.fromNumber
      )
      i = j
    }
    return out
  }

  const readSafely = (positions: ReadonlyArray<number>): Effect.Effect<Array<Event.RecordedEvent>, StorageFailure> =>
    Effect.try({
      try: () => readPositions(positions),
      catch: (error) =>
        error instanceof Corruption
          ? new StorageFailure({ reason: error.message, retryable: false, cause: error })
          : failure(`reading events from ${directory}`, error)
    })

  /** Positions of a stream that readers may see. */
  const visible = (streamId: string): { positions: Array<number>; count: number } => {
    const ordinal = index.ordinal(streamId)
    if (ordinal < 0) return { positions: [], count: 0 }
    const positions = index.streamPositions[ordinal] as Array<number>
    let count = positions.length
    while (count > 0 && (positions[count - 1] as number) > durableHead) count--
    return { positions, count }
  }

  const positionOf = (after: Checkpoint.Checkpoint): Effect.Effect<number, InvalidCheckpoint> => {
    const parsed = Checkpoint.toNumber(after)
    return Result.isFailure(parsed) ? Effect.fail(parsed.failure) : Effect.succeed(parsed.success)
  }

  const adapter: EventStore.Adapter = {
    append: (request, expected) => Effect.flatMap(Clock.currentTimeMillis, (now) => appendNow(request, expected, now)),
    readStream: (streamId, read) =>
      Effect.suspend(() => {
        const caught = catchUp()
        if (caught !== undefined) return Effect.fail(caught)
        if (read.limit === 0) return Effect.succeed([])
        const { positions, count } = visible(streamId)
        if (read.direction === "forwards") {
          const start = Math.max(read.from, 1) - 1
          const end = read.limit === Number.POSITIVE_INFINITY ? count : Math.min(count, start + read.limit)
          return start >= end ? Effect.succeed([]) : readSafely(positions.slice(start, end))
        }
        const start = Math.min(read.from, count)
        const end = read.limit === Number.POSITIVE_INFINITY ? 0 : Math.max(start - read.limit, 0)
        return end >= start
          ? Effect.succeed([])
          : Effect.map(readSafely(positions.slice(end, start)), (events) => events.reverse())
      }),
    readAll: (after, limit) =>
      Effect.flatMap(positionOf(after), (position) =>
        Effect.suspend(() => {
          if (position + limit > durableHead) {
            const caught = catchUp()
            if (caught !== undefined) return Effect.fail(caught)
          }
          const last = Math.min(durableHead, position + limit)
          if (last <= position) return Effect.succeed([])
          const positions: Array<number> = new Array(last - position)
          for (let i = 0; i < positions.length; i++) positions[i] = position + i + 1
          return readSafely(positions)
        })
      ),
    streamVersion: (streamId) =>
      Effect.suspend(() => {
        const caught = catchUp()
        return caught !== undefined ? Effect.fail(caught) : Effect.succeed(visible(streamId).count)
      }),
    waitForEvents: (after) =>
      Effect.flatMap(positionOf(after), (position) => {
        if (durableHead > position) return Effect.void
        if (!readOnly) return appended.wait
        // A read-only store learns of another process's appends only by looking.
        return Effect.callback<void, StorageFailure>((resume) => {
          let timer: ReturnType<typeof setTimeout> | undefined
          const poll = () => {
            const caught = catchUp()
            if (caught !== undefined) resume(Effect.fail(caught))
            else if (durableHead > position) resume(Effect.void)
            else timer = setTimeout(poll, pollInterval)
          }
          poll()
          return Effect.sync(() => clearTimeout(timer))
        })
      })
  }

  const checkpointFile = (name: string) =>
    path.join(checkpointDirectory, `${createHash("sha256").update(name, "utf8").digest("hex")}.json`)
  let tempCounter = 0

  const checkpointStore: CheckpointStore.Service = {
    load: (name) =>
      Effect.try({
        try: (): Option.Option<CheckpointStore.SavedCheckpoint> => {
          const file = checkpointFile(name)
          let text: string
          try {
            text = fs.readFileSync(file, "utf8")
          } catch (error) {
            if (codeOf(error) === "ENOENT") return Option.none()
            throw error
          }
          const saved = JSON.parse(text) as { name?: unknown; position?: unknown; version?: unknown; state?: unknown }
          if (saved.name !== name) return Option.none()
          if (typeof saved.position !== "string" || typeof saved.version !== "number") {
            throw new Error(`${file} does not hold a checkpoint`)
          }
          const checkpoint: CheckpointStore.SavedCheckpoint = {
            position: saved.position as Checkpoint.Checkpoint,
            version: saved.version
          }
          return Option.some(
            saved.state === undefined
              ? checkpoint
              : { ...checkpoint, state: saved.state as NonNullable<CheckpointStore.SavedCheckpoint["state"]> }
          )
        },
        catch: (error) => failure(`loading checkpoint ${JSON.stringify(name.slice(0, 100))} from ${directory}`, error)
      }),
    save: (name, checkpoint) =>
      Effect.suspend(() => {
        const prepared = CheckpointStore.prepareSave(name, checkpoint)
        if (Result.isFailure(prepared)) {
          return Effect.fail(new StorageFailure({ reason: prepared.failure.message, retryable: false }))
        }
        const refused = closed || readOnly ? unavailable() : undefined
        if (refused !== undefined) return Effect.fail(refused)
        return Effect.try({
          try: () => {
            const bytes = Buffer.from(JSON.stringify({ name, ...prepared.success }), "utf8")
            writeFileAtomic(checkpointDirectory, checkpointFile(name), bytes, `${process.pid}-${++tempCounter}`)
          },
          catch: (error) => failure(`saving checkpoint ${JSON.stringify(name.slice(0, 100))} in ${directory}`, error)
        })
      })
  }

  /** Flushes what is pending, closes every file and releases the lock. */
  const close = () => {
    if (closed) return
    if (flushScheduled !== undefined) clearImmediate(flushScheduled)
    flush()
    closed = true
    for (const segment of segments) {
      try {
        fs.closeSync(segment.fd)
      } catch {
        // Closing is best effort: the data was synced by the flush above.
      }
    }
    release()
  }

  return { stores: { eventStore: EventStore.make(adapter), checkpointStore }, close }
}

const openError = (directory: string, error: unknown): StoreLocked | StoreCorrupted | StorageFailure => {
  if (error instanceof Lock.Held) {
    return error.holder === undefined
      ? new StoreLocked({ directory, reason: error.message })
      : new StoreLocked({ directory, pid: error.holder.pid, reason: error.message })
  }
  if (error instanceof Corruption)
    return new StoreCorrupted({ file: error.file, offset: error.offset, reason: error.reason })
  if (error instanceof StorageFailure) return error
  return failure(`opening event store ${directory}`, error)
}

/**
 * Opens the store in `options.directory`: takes the write lock (unless read-only), scans the log
 * and cuts off a torn tail. Closing the scope flushes, closes the files and releases the lock.
 */
export const make = (
  options: Options
): Effect.Effect<FileStores, StoreLocked | StoreCorrupted | StorageFailure, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.try({
        try: () => openStore(options),
        catch: (error) => openError(path.resolve(options.directory), error)
      }),
      (opened) => Effect.sync(opened.close)
    ),
    (opened) => opened.stores
  )

/** A layer providing the file `EventStore` and `CheckpointStore`; the store closes with the layer's scope. */
export const layer = (
  options: Options
): Layer.Layer<
  EventStore.EventStore | CheckpointStore.CheckpointStore,
  StoreLocked | StoreCorrupted | StorageFailure
> =>
  Layer.effectContext(
    Effect.map(make(options), ({ eventStore, checkpointStore }) =>
      Context.make(EventStore.EventStore, eventStore).pipe(
        Context.add(CheckpointStore.CheckpointStore, checkpointStore)
      )
    )
  )
