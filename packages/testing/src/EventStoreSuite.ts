/**
 * The conformance suite: what "an event store" means in Vouch. Every adapter runs it — memory,
 * file, PostgreSQL, and any third-party one — instead of copying tests between adapters.
 *
 * Each case is an Effect that fails (or dies on a failed assertion) when the store misbehaves.
 * `run` registers them all with vitest; `cases` is exported so the suite itself can be tested
 * against deliberately broken adapters.
 */
import { Checkpoint, CheckpointStore, type Event, EventId, EventStore, ExpectedVersion } from "@vouch/core"
import { Cause, Effect, Exit, Fiber, Layer, Option, type Scope } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"

/** The services a case runs against. */
export type Stores = EventStore.EventStore | CheckpointStore.CheckpointStore

/** One conformance case. */
export interface Case {
  readonly name: string
  readonly run: Effect.Effect<void, unknown, Stores | Scope.Scope>
}

/** How to run the suite against an adapter. */
export interface Options {
  /** Shown in the test report. */
  readonly name: string
  /** Builds a fresh, empty store; a new one is built for every case and released after it. */
  readonly layer: Layer.Layer<Stores, unknown>
  /** When set, every case is skipped and this reason is printed. */
  readonly skip?: string | undefined
  /** Per-case time limit in milliseconds (default 60 s). */
  readonly timeout?: number
  /** Scales the concurrency cases' sizes (default 1). */
  readonly scale?: number
}

// ---------------------------------------------------------------------------------------------
// helpers

const store = EventStore.EventStore

/** A new event of a test type with the given data. */
export const newEvent = (
  data: unknown,
  eventType = "suite/Happened",
  metadata: Event.EventMetadata = {}
): Event.NewEvent => ({
  eventId: EventId.make(),
  eventType,
  schemaVersion: 1,
  data: data as Event.NewEvent["data"],
  metadata
})

const events = (n: number, tag = "e") => Array.from({ length: n }, (_, i) => newEvent({ tag, i }))

let streamCounter = 0
/** A fresh stream id, unique within a process run. */
export const freshStream = (prefix = "suite") => `${prefix}-${Date.now().toString(36)}-${++streamCounter}`

const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got success: ${JSON.stringify(exit.value)}`)
    const failure = Cause.findErrorOption(exit.cause)
    if (Option.isNone(failure)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
    return failure.value as E
  })

const readEverything = Effect.gen(function* () {
  const es = yield* store
  const all: Array<Event.RecordedEvent> = []
  let after = Checkpoint.beginning
  for (;;) {
    const batch = yield* es.readAll({ after, limit: 97 })
    if (batch.length === 0) return all
    all.push(...batch)
    after = (batch[batch.length - 1] as Event.RecordedEvent).globalPosition
  }
})

const expectStrictlyIncreasing = (positions: ReadonlyArray<Checkpoint.Checkpoint>) => {
  for (let i = 1; i < positions.length; i++) {
    expect(Checkpoint.compare(positions[i - 1] as Checkpoint.Checkpoint, positions[i] as Checkpoint.Checkpoint)).toBe(
      -1
    )
  }
}

const kase = (name: string, run: Case["run"]): Case => ({ name, run })

// ---------------------------------------------------------------------------------------------
// the cases

const ordering: Array<Case> = [
  kase(
    "appends to a new stream and reads it back in order",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      const batch = events(5)
      const result = yield* es.append(id, ExpectedVersion.noStream, batch)
      expect(result).toMatchObject({ streamId: id, firstVersion: 1, lastVersion: 5, duplicate: false })
      const read = yield* es.readStream(id)
      expect(read.map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId))
      expect(read.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5])
      expect(read.every((e) => e.streamId === id)).toBe(true)
      expect(read.map((e) => e.data)).toEqual(batch.map((e) => e.data))
      expect(result.position).toBe((read[4] as Event.RecordedEvent).globalPosition)
      expectStrictlyIncreasing(read.map((e) => e.globalPosition))
      expect(yield* es.streamVersion(id)).toBe(5)
    })
  ),
  kase(
    "reads a stream forwards and backwards with bounds and limits",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      yield* es.append(id, ExpectedVersion.noStream, events(10))
      const versions = (read: ReadonlyArray<Event.RecordedEvent>) => read.map((e) => e.streamVersion)
      expect(versions(yield* es.readStream(id, { from: 4, limit: 3 }))).toEqual([4, 5, 6])
      expect(versions(yield* es.readStream(id, { from: 9 }))).toEqual([9, 10])
      expect(versions(yield* es.readStream(id, { from: 11 }))).toEqual([])
      expect(versions(yield* es.readStream(id, { limit: 0 }))).toEqual([])
      expect(versions(yield* es.readStream(id, { direction: "backwards" }))).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
      expect(versions(yield* es.readStream(id, { direction: "backwards", limit: 2 }))).toEqual([10, 9])
      expect(versions(yield* es.readStream(id, { direction: "backwards", from: 3 }))).toEqual([3, 2, 1])
      expect(versions(yield* es.readStream(id, { direction: "backwards", from: 50, limit: 1 }))).toEqual([10])
      expect(yield* es.readStream(freshStream("missing"))).toEqual([])
      expect(yield* es.streamVersion(freshStream("missing"))).toBe(0)
    })
  ),
  kase(
    "reads the global log in append order, in pages, exactly once",
    Effect.gen(function* () {
      const es = yield* store
      const a = freshStream("a")
      const b = freshStream("b")
      const appended: Array<string> = []
      for (let round = 0; round < 30; round++) {
        const batch = events(1 + (round % 4))
        yield* es.append(round % 2 === 0 ? a : b, ExpectedVersion.any, batch)
        appended.push(...batch.map((e) => e.eventId))
      }
      const all = yield* readEverything
      expect(all.map((e) => e.eventId)).toEqual(appended)
      expectStrictlyIncreasing(all.map((e) => e.globalPosition))
      const last = all[all.length - 1] as Event.RecordedEvent
      expect(yield* es.readAll({ after: last.globalPosition })).toEqual([])
      const middle = all[17] as Event.RecordedEvent
      const rest = yield* es.readAll({ after: middle.globalPosition, limit: 5 })
      expect(rest.map((e) => e.eventId)).toEqual(appended.slice(18, 23))
    })
  ),
  kase(
    "stores metadata and takes the recorded time from Effect's Clock",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      yield* TestClock.setTime(Date.UTC(2025, 0, 31, 23, 59, 58, 123))
      const metadata = { correlationId: "c-1", causationId: "k-2", actor: "agent:李雷", extra: { nested: [1, "two"] } }
      yield* es.append(id, ExpectedVersion.any, [newEvent({ x: 1 }, "suite/Happened", metadata)])
      const [read] = yield* es.readStream(id)
      expect(read?.metadata).toEqual(metadata)
      expect(read?.recordedAt).toBe(Date.UTC(2025, 0, 31, 23, 59, 58, 123))
      expect(read?.schemaVersion).toBe(1)
      expect(read?.eventType).toBe("suite/Happened")
    }).pipe(Effect.provide(TestClock.layer()))
  ),
  kase(
    "reports an unreadable checkpoint as InvalidCheckpoint, meaningless read options as InvalidReadRequest",
    Effect.gen(function* () {
      const es = yield* store
      const error = yield* failureOf(es.readAll({ after: "not a checkpoint" as Checkpoint.Checkpoint }))
      expect(error._tag).toBe("InvalidCheckpoint")
      const waited = yield* failureOf(es.waitForEvents("not a checkpoint" as Checkpoint.Checkpoint))
      expect(waited._tag).toBe("InvalidCheckpoint")
      for (const options of [{ limit: -1 }, { from: 1.5 }, { limit: Number.NaN }]) {
        expect((yield* failureOf(es.readStream("any-1", options)))._tag).toBe("InvalidReadRequest")
      }
      expect((yield* failureOf(es.readAll({ limit: 0 })))._tag).toBe("InvalidReadRequest")
    })
  )
]

const expectations: Array<Case> = [
  kase(
    "expected version Any appends to new and existing streams",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      expect((yield* es.append(id, ExpectedVersion.any, events(2))).lastVersion).toBe(2)
      expect((yield* es.append(id, ExpectedVersion.any, events(1))).lastVersion).toBe(3)
    })
  ),
  kase(
    "expected version NoStream: succeeds on a new stream, conflicts on an existing one",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      yield* es.append(id, ExpectedVersion.noStream, events(2))
      const error = yield* failureOf(es.append(id, ExpectedVersion.noStream, events(1)))
      expect(error).toMatchObject({
        _tag: "ConcurrencyConflict",
        streamId: id,
        actual: 2,
        expected: { _tag: "NoStream" }
      })
      expect(yield* es.streamVersion(id)).toBe(2)
    })
  ),
  kase(
    "expected version StreamExists: conflicts on a missing stream with actual 0",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      const error = yield* failureOf(es.append(id, ExpectedVersion.streamExists, events(1)))
      expect(error).toMatchObject({ _tag: "ConcurrencyConflict", actual: 0, expected: { _tag: "StreamExists" } })
      expect(yield* es.readStream(id)).toEqual([])
      yield* es.append(id, ExpectedVersion.any, events(1))
      expect((yield* es.append(id, ExpectedVersion.streamExists, events(1))).lastVersion).toBe(2)
    })
  ),
  kase(
    "expected version Exact: 0 means a new stream; a wrong version conflicts and stores nothing",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      expect((yield* es.append(id, ExpectedVersion.exact(0), events(3))).lastVersion).toBe(3)
      expect((yield* es.append(id, ExpectedVersion.exact(3), events(1))).lastVersion).toBe(4)
      for (const wrong of [0, 3, 5, 100]) {
        const error = yield* failureOf(es.append(id, ExpectedVersion.exact(wrong), events(2)))
        expect(error).toMatchObject({
          _tag: "ConcurrencyConflict",
          actual: 4,
          expected: { _tag: "Exact", version: wrong }
        })
      }
      expect(yield* es.streamVersion(id)).toBe(4)
      expect((yield* readEverything).length).toBe(4)
    })
  ),
  kase(
    "an empty append checks the expectation and stores nothing",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      const empty = yield* es.append(id, ExpectedVersion.noStream, [])
      expect(empty).toMatchObject({ firstVersion: 1, lastVersion: 0, duplicate: false })
      expect(yield* es.streamVersion(id)).toBe(0)
      yield* es.append(id, ExpectedVersion.any, events(1))
      const error = yield* failureOf(es.append(id, ExpectedVersion.exact(7), []))
      expect(error._tag).toBe("ConcurrencyConflict")
    })
  )
]

const idempotency: Array<Case> = [
  kase(
    "re-appending the same events at the same expected version returns the original result",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      yield* es.append(id, ExpectedVersion.noStream, events(2))
      const batch = events(3)
      const first = yield* es.append(id, ExpectedVersion.exact(2), batch)
      const again = yield* es.append(id, ExpectedVersion.exact(2), batch)
      expect(again).toEqual({ ...first, duplicate: true })
      const anyAgain = yield* es.append(id, ExpectedVersion.any, batch)
      expect(anyAgain).toEqual({ ...first, duplicate: true })
      expect(yield* es.streamVersion(id)).toBe(5)
      expect((yield* readEverything).length).toBe(5)
    })
  ),
  kase(
    "the same ids at a different position are a DuplicateEventId error",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      const batch = events(2)
      yield* es.append(id, ExpectedVersion.noStream, batch)
      yield* es.append(id, ExpectedVersion.any, events(1))
      const moved = yield* failureOf(es.append(id, ExpectedVersion.exact(3), batch))
      expect(moved).toMatchObject({
        _tag: "DuplicateEventId",
        eventId: (batch[0] as Event.NewEvent).eventId,
        existingVersion: 1
      })
      const partial = yield* failureOf(
        es.append(id, ExpectedVersion.any, [newEvent({ fresh: true }), batch[1] as Event.NewEvent])
      )
      expect(partial).toMatchObject({ _tag: "DuplicateEventId", eventId: (batch[1] as Event.NewEvent).eventId })
      const elsewhere = yield* failureOf(
        es.append(freshStream("other"), ExpectedVersion.any, [batch[0] as Event.NewEvent])
      )
      expect(elsewhere).toMatchObject({ _tag: "DuplicateEventId", existingStreamId: id })
      const twiceInOne = newEvent({ twice: true })
      const inBatch = yield* failureOf(es.append(id, ExpectedVersion.any, [twiceInOne, twiceInOne]))
      expect(inBatch._tag).toBe("InvalidEvent")
      expect(yield* es.streamVersion(id)).toBe(3)
      expect((yield* readEverything).length).toBe(3)
    })
  )
]

const concurrency = (scale: number): Array<Case> => [
  kase(
    "many writers racing for one version: exactly one wins",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream("race")
      const writers = 16
      const exits = yield* Effect.forEach(
        Array.from({ length: writers }, (_, i) => i),
        (i) => Effect.exit(es.append(id, ExpectedVersion.exact(0), [newEvent({ writer: i })])),
        { concurrency: "unbounded" }
      )
      const winners = exits.filter(Exit.isSuccess)
      expect(winners.length).toBe(1)
      for (const exit of exits) {
        if (Exit.isFailure(exit))
          expect(Cause.findErrorOption(exit.cause).pipe(Option.map((e) => e._tag))).toEqual(
            Option.some("ConcurrencyConflict")
          )
      }
      expect(yield* es.streamVersion(id)).toBe(1)
    })
  ),
  kase(
    "many writers on one stream with retries: contiguous versions, nothing lost or duplicated",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream("contended")
      const writers = 8
      const perWriter = Math.max(2, Math.round(10 * scale))
      const written: Array<string> = []
      const writer = (w: number) =>
        Effect.gen(function* () {
          for (let n = 0; n < perWriter; n++) {
            const event = newEvent({ w, n })
            for (;;) {
              const version = yield* es.streamVersion(id)
              const exit = yield* Effect.exit(es.append(id, ExpectedVersion.exact(version), [event]))
              if (Exit.isSuccess(exit)) break
              const error = Cause.findErrorOption(exit.cause)
              if (Option.isNone(error) || error.value._tag !== "ConcurrencyConflict")
                return yield* Effect.failCause(exit.cause)
              yield* Effect.yieldNow
            }
            written.push(event.eventId)
          }
        })
      yield* Effect.forEach(
        Array.from({ length: writers }, (_, i) => i),
        writer,
        { concurrency: "unbounded" }
      )
      const read = yield* es.readStream(id)
      expect(read.map((e) => e.streamVersion)).toEqual(Array.from({ length: writers * perWriter }, (_, i) => i + 1))
      expect(new Set(read.map((e) => e.eventId))).toEqual(new Set(written))
      for (let w = 0; w < writers; w++) {
        const mine = read.filter((e) => (e.data as { w: number }).w === w).map((e) => (e.data as { n: number }).n)
        expect(mine).toEqual(Array.from({ length: perWriter }, (_, i) => i))
      }
    })
  ),
  kase(
    "many writers on many streams while a reader follows the global log: every event once, in stream order",
    Effect.gen(function* () {
      const es = yield* store
      const writers = 8
      const perWriter = Math.max(5, Math.round(40 * scale))
      const total = writers * perWriter
      const seen: Array<Event.RecordedEvent> = []
      let writersDone = false
      const reader = Effect.gen(function* () {
        let after = Checkpoint.beginning
        while (seen.length < total) {
          const batch = yield* es.readAll({ after, limit: 50 })
          if (batch.length === 0) {
            // Once every writer is done, an empty read after a quiet wait means the reader saw all it will.
            const woken = yield* es.waitForEvents(after).pipe(Effect.timeoutOption(writersDone ? 500 : 200))
            if (writersDone && Option.isNone(woken)) break
            continue
          }
          seen.push(...batch)
          after = (batch[batch.length - 1] as Event.RecordedEvent).globalPosition
        }
      })
      const readerFiber = yield* Effect.forkChild(reader)
      const prefix = freshStream("many")
      yield* Effect.forEach(
        Array.from({ length: writers }, (_, w) => w),
        (w) =>
          Effect.gen(function* () {
            for (let n = 0; n < perWriter; n++) {
              yield* es.append(`${prefix}-${w}`, ExpectedVersion.exact(n), [newEvent({ w, n })])
              if (n % 3 === 0) yield* Effect.yieldNow
            }
          }),
        { concurrency: "unbounded" }
      )
      writersDone = true
      yield* Fiber.join(readerFiber).pipe(Effect.timeout(30_000))
      expect(seen.length).toBe(total)
      expect(new Set(seen.map((e) => e.eventId)).size).toBe(total)
      expectStrictlyIncreasing(seen.map((e) => e.globalPosition))
      for (let w = 0; w < writers; w++) {
        const versions = seen.filter((e) => e.streamId === `${prefix}-${w}`).map((e) => e.streamVersion)
        expect(versions).toEqual(Array.from({ length: perWriter }, (_, i) => i + 1))
      }
    })
  ),
  kase(
    "waitForEvents returns at once when events exist, and wakes on an append otherwise",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      const first = yield* es.append(id, ExpectedVersion.any, events(1))
      yield* es.waitForEvents(Checkpoint.beginning).pipe(Effect.timeout(5_000))
      const waiting = yield* Effect.forkChild(es.waitForEvents(first.position))
      yield* Effect.sleep(20)
      yield* es.append(id, ExpectedVersion.any, events(1))
      yield* Fiber.join(waiting).pipe(Effect.timeout(5_000))
    })
  )
]

const checkpoints: Array<Case> = [
  kase(
    "saves, loads and replaces checkpoints, with and without state",
    Effect.gen(function* () {
      const checkpointStore = yield* CheckpointStore.CheckpointStore
      const es = yield* store
      const name = freshStream("projection")
      expect(Option.isNone(yield* checkpointStore.load(name))).toBe(true)
      const appended = yield* es.append(freshStream(), ExpectedVersion.any, events(3))
      yield* checkpointStore.save(name, { position: appended.position, version: 1 })
      expect(yield* checkpointStore.load(name)).toEqual(Option.some({ position: appended.position, version: 1 }))
      const state = { cases: { "c-1": { status: "open", owner: "王芳" } }, count: 3 }
      yield* checkpointStore.save(name, { position: appended.position, version: 2, state })
      expect(yield* checkpointStore.load(name)).toEqual(Option.some({ position: appended.position, version: 2, state }))
    })
  ),
  kase(
    "a reader resumes from a saved checkpoint without missing or repeating an event",
    Effect.gen(function* () {
      const es = yield* store
      const checkpointStore = yield* CheckpointStore.CheckpointStore
      const name = freshStream("resume")
      const ids: Array<string> = []
      for (let i = 0; i < 12; i++) {
        const batch = events(3)
        ids.push(...batch.map((e) => e.eventId))
        yield* es.append(freshStream(`r${i % 3}`), ExpectedVersion.any, batch)
      }
      const firstPart = yield* es.readAll({ limit: 10 })
      yield* checkpointStore.save(name, {
        position: (firstPart[firstPart.length - 1] as Event.RecordedEvent).globalPosition,
        version: 1
      })
      const saved = yield* checkpointStore.load(name)
      const resumeFrom = Option.getOrThrow(saved).position
      const rest: Array<Event.RecordedEvent> = []
      let after = resumeFrom
      for (;;) {
        const batch = yield* es.readAll({ after, limit: 7 })
        if (batch.length === 0) break
        rest.push(...batch)
        after = (batch[batch.length - 1] as Event.RecordedEvent).globalPosition
      }
      expect([...firstPart, ...rest].map((e) => e.eventId)).toEqual(ids)
    })
  )
]

const badInput: Array<Case> = [
  kase(
    "large and non-ASCII payloads round-trip exactly",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream("载荷-🚀")
      const big = "长".repeat(300_000) + "🎉".repeat(1000)
      const data = {
        big,
        list: Array.from({ length: 5_000 }, (_, i) => ({ i, s: `α${i}` })),
        mixed: "English, 中文, العربية, emoji 👩‍👩‍👧, combining é, zero\u200bwidth",
        ["__proto__"]: { polluted: true },
        constructor: "plain",
        numbers: [0, -0.5, 1e21, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
        empty: { a: [], o: {}, s: "" },
        nil: null
      }
      const parsed = JSON.parse(JSON.stringify(data)) // the exact shape JSON would carry
      yield* es.append(id, ExpectedVersion.noStream, [newEvent(parsed)])
      const [read] = yield* es.readStream(id)
      expect(read?.data).toEqual(parsed)
      expect(JSON.stringify(read?.data)).toBe(JSON.stringify(parsed))
      expect(Object.getPrototypeOf(read?.data)).toBe(Object.prototype)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      const [global] = yield* es.readAll()
      expect(global?.streamId).toBe(id)
    })
  ),
  kase(
    "hostile but valid stream ids are stored and read back exactly",
    Effect.gen(function* () {
      const es = yield* store
      const ids = [
        "../../etc/passwd",
        "a/b\\c",
        "C:\\con",
        "x".repeat(512),
        "流-Ω-😀",
        "%2e%2e",
        "'; drop table events; --",
        "NUL",
        ".",
        "-"
      ]
      for (const id of ids) {
        yield* es.append(id, ExpectedVersion.noStream, [newEvent({ id })])
      }
      for (const id of ids) {
        const read = yield* es.readStream(id)
        expect(read.map((e) => [e.streamId, e.data])).toEqual([[id, { id }]])
      }
    })
  ),
  kase(
    "invalid stream ids are refused with InvalidStreamId",
    Effect.gen(function* () {
      const es = yield* store
      for (const id of ["", "x".repeat(513), "line\nbreak", "nul\u0000byte", " padded", "bell\u0007", "\ud800"]) {
        expect((yield* failureOf(es.append(id, ExpectedVersion.any, events(1))))._tag).toBe("InvalidStreamId")
        expect((yield* failureOf(es.readStream(id)))._tag).toBe("InvalidStreamId")
        expect((yield* failureOf(es.streamVersion(id)))._tag).toBe("InvalidStreamId")
      }
      expect((yield* readEverything).length).toBe(0)
    })
  ),
  kase(
    "data that is not JSON is refused with InvalidEvent and nothing is stored",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      let deep: unknown = "bottom"
      for (let i = 0; i < 100_000; i++) deep = { deep }
      const bad: Array<unknown> = [
        { f: () => 1 },
        { n: Number.NaN },
        { n: Number.POSITIVE_INFINITY },
        cyclic,
        deep,
        { d: new Date(0) },
        { b: 1n }
      ]
      for (const data of bad) {
        const error = yield* failureOf(es.append(id, ExpectedVersion.any, [newEvent({ ok: 1 }), newEvent(data)]))
        expect(error._tag).toBe("InvalidEvent")
      }
      const malformed = [
        { ...newEvent({}), eventId: "not-a-uuid" },
        { ...newEvent({}), eventType: "" },
        { ...newEvent({}), schemaVersion: 0 },
        { ...newEvent({}), metadata: { actor: 42 } as unknown as Event.EventMetadata }
      ]
      for (const event of malformed) {
        expect((yield* failureOf(es.append(id, ExpectedVersion.any, [event])))._tag).toBe("InvalidEvent")
      }
      expect(yield* es.streamVersion(id)).toBe(0)
    })
  ),
  kase(
    "stored events cannot be changed through the objects passed in or read out",
    Effect.gen(function* () {
      const es = yield* store
      const id = freshStream()
      const data = { list: [1, 2], nested: { value: "original" } }
      yield* es.append(id, ExpectedVersion.any, [newEvent(data)])
      data.list.push(3)
      data.nested.value = "changed"
      const [first] = yield* es.readStream(id)
      try {
        ;(first!.data as { nested: { value: string } }).nested.value = "changed through a read"
      } catch {
        // frozen: refusing the write is fine too
      }
      const [second] = yield* es.readStream(id)
      expect(second?.data).toEqual({ list: [1, 2], nested: { value: "original" } })
    })
  )
]

/** Every case, grouped as in the report. */
export const cases = (scale = 1): ReadonlyArray<{ readonly group: string; readonly cases: ReadonlyArray<Case> }> => [
  { group: "ordering", cases: ordering },
  { group: "expected versions", cases: expectations },
  { group: "idempotent append", cases: idempotency },
  { group: "concurrency", cases: concurrency(scale) },
  { group: "checkpoints", cases: checkpoints },
  { group: "bad input", cases: badInput }
]

/** Runs one case against a fresh store from `layer`. */
export const runCase = (layer: Layer.Layer<Stores, unknown>, testCase: Case): Promise<void> =>
  Effect.runPromise(
    Effect.scoped(testCase.run).pipe(Effect.provide(Layer.fresh(layer))) as Effect.Effect<void, unknown>
  )

/** Registers the whole suite with vitest. */
export const run = (options: Options): void => {
  describe(`EventStore conformance: ${options.name}`, () => {
    if (options.skip !== undefined) {
      it.skip(`skipped: ${options.skip}`, () => {})
      return
    }
    for (const group of cases(options.scale ?? 1)) {
      describe(group.group, () => {
        for (const testCase of group.cases) {
          it(testCase.name, () => runCase(options.layer, testCase), options.timeout ?? 60_000)
        }
      })
    }
  })
}
