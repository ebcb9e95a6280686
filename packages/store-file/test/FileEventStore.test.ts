import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  Checkpoint,
  CheckpointStore,
  type Event,
  EventStore,
  ExpectedVersion,
  Json,
  type StorageFailure
} from "@vouch/core"
import { FileEventStore } from "@vouch/store-file"
import { EventStoreSuite } from "@vouch/testing"
import { Context, Effect, Fiber, Layer, Option } from "effect"
import { describe, expect, it } from "vitest"
import { listing, newEvent, tempDir, withStore } from "./helpers.ts"

/** A fresh store in a fresh temporary directory, removed when the case ends. */
const freshLayer = Layer.effectContext(
  Effect.gen(function* () {
    const directory = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "vouch-file-suite-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    const { eventStore, checkpointStore } = yield* FileEventStore.make({ directory, segmentSize: 1 << 20 })
    return Context.make(EventStore.EventStore, eventStore).pipe(
      Context.add(CheckpointStore.CheckpointStore, checkpointStore)
    )
  })
)

EventStoreSuite.run({ name: "file", layer: freshLayer })

const everything = (store: FileEventStore.FileStores) => store.eventStore.readAll({ limit: 100_000 })

describe("reopening", () => {
  it("reads back every event and checkpoint after close and reopen", async () => {
    const directory = tempDir("reopen")
    try {
      const written = await withStore(
        directory,
        (store) =>
          Effect.gen(function* () {
            for (let i = 0; i < 50; i++) {
              yield* store.eventStore.append(`r-${i % 4}`, ExpectedVersion.any, [
                newEvent({ i }),
                newEvent({ i, b: true })
              ])
            }
            const all = yield* everything(store)
            yield* store.checkpointStore.save("projection/one", { position: all[10]!.globalPosition, version: 3 })
            yield* store.checkpointStore.save("projection/two", {
              position: all[99]!.globalPosition,
              version: 1,
              state: { counts: [1, 2, 3], name: "два" }
            })
            return all
          }),
        { segmentSize: 8192 }
      )
      expect(written.length).toBe(100)
      await withStore(directory, (store) =>
        Effect.gen(function* () {
          expect(yield* everything(store)).toEqual(written)
          expect(yield* store.eventStore.readStream("r-1")).toEqual(written.filter((e) => e.streamId === "r-1"))
          expect(yield* store.eventStore.streamVersion("r-3")).toBe(24)
          expect(yield* store.checkpointStore.load("projection/one")).toEqual(
            Option.some({ position: written[10]!.globalPosition, version: 3 })
          )
          expect(yield* store.checkpointStore.load("projection/two")).toEqual(
            Option.some({
              position: written[99]!.globalPosition,
              version: 1,
              state: { counts: [1, 2, 3], name: "два" }
            })
          )
          expect(Option.isNone(yield* store.checkpointStore.load("projection/none"))).toBe(true)
          // Appending continues where the log left off.
          const next = yield* store.eventStore.append("r-0", ExpectedVersion.exact(26), [newEvent("next")])
          expect(next.position).toBe(Checkpoint.fromNumber(101))
        })
      )
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe("group commit", () => {
  it("writes concurrent appends that share flushes, segments and encoding slabs exactly", async () => {
    const directory = tempDir("group")
    try {
      const written = await withStore(
        directory,
        (store) =>
          Effect.gen(function* () {
            // Eight writers at once, with now and then an event larger than a segment, or large
            // enough to need a new encoding slab (or larger than a read's reused buffer), so one
            // flush spans segments and slabs.
            yield* Effect.forEach(
              Array.from({ length: 8 }, (_, w) => w),
              (w) =>
                Effect.gen(function* () {
                  for (let n = 0; n < 40; n++) {
                    const size = 1 + ((w + n) % 3)
                    const pad = n % 3 === 0 ? "x".repeat((w * 40 + n) % 37 === 0 ? 1_200_000 : 20_000) : ""
                    yield* store.eventStore.append(
                      `g-${w}`,
                      ExpectedVersion.exact(n === 0 ? 0 : yield* store.eventStore.streamVersion(`g-${w}`)),
                      Array.from({ length: size }, (_, i) => newEvent({ w, n, i, pad }))
                    )
                  }
                }),
              { concurrency: "unbounded", discard: true }
            )
            return yield* everything(store)
          }),
        { segmentSize: 512 * 1024 }
      )
      expect(written.map((e) => e.globalPosition)).toEqual(written.map((_, i) => Checkpoint.fromNumber(i + 1)))
      for (let w = 0; w < 8; w++) {
        const stream = written.filter((e) => e.streamId === `g-${w}`)
        expect(stream.map((e) => e.streamVersion)).toEqual(stream.map((_, i) => i + 1))
        expect(stream.map((e) => (e.data as { n: number }).n)).toEqual(
          [...stream.map((e) => (e.data as { n: number }).n)].sort((a, b) => a - b)
        )
      }
      await withStore(directory, (store) =>
        Effect.gen(function* () {
          expect(yield* everything(store)).toEqual(written)
        })
      )
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe("decoding", () => {
  it("reads back every body shape exactly, across runs of records longer than one group of ids", async () => {
    const directory = tempDir("decode")
    // Bodies that end like empty metadata without having it, empty metadata, long and non-ASCII bodies.
    const shapes: ReadonlyArray<{ data: unknown; metadata: Event.EventMetadata }> = [
      { data: {}, metadata: {} },
      { data: [1, {}], metadata: {} },
      { data: "ends with ,{}]", metadata: { actor: "a" } },
      { data: { nested: [{}, { x: {} }] }, metadata: { actor: "agent:李雷", extra: { nested: [1, "two"] } } },
      { data: { text: '李雷 and 韩梅梅 ✓ "quoted" \\ back', long: "x".repeat(300) }, metadata: {} },
      { data: null, metadata: { correlationId: "c-1" } },
      { data: -1.5e300, metadata: {} }
    ]
    const expected: Array<{ data: unknown; metadata: Event.EventMetadata; eventId: string }> = []
    const event = (i: number) => {
      const shape = shapes[i % shapes.length]!
      const created = { ...newEvent(shape.data), metadata: shape.metadata }
      expected.push({ data: shape.data, metadata: shape.metadata, eventId: created.eventId })
      return created
    }
    try {
      const check = (store: FileEventStore.FileStores) =>
        Effect.gen(function* () {
          const forwards = yield* store.eventStore.readStream("d-1")
          const backwards = yield* store.eventStore.readStream("d-1", { direction: "backwards" })
          const global = yield* everything(store)
          expect(global.length).toBe(expected.length)
          expect([...backwards].reverse()).toEqual(forwards)
          global.forEach((read, i) => {
            expect(read.eventId).toBe(expected[i]!.eventId)
            expect(read.data).toEqual(expected[i]!.data)
            expect(read.metadata).toEqual(expected[i]!.metadata)
            expect(read.globalPosition).toBe(Checkpoint.fromNumber(i + 1))
            expect(read.eventType).toBe("test/Happened")
            // Empty metadata is one shared frozen object, as the kernel makes it on append.
            if (Object.keys(read.metadata).length === 0) expect(Object.isFrozen(read.metadata)).toBe(true)
          })
          expect(forwards.map((e) => e.streamVersion)).toEqual(forwards.map((_, i) => i + 1))
          // A read that starts and ends mid-stream slices the same ids and positions.
          const middle = yield* store.eventStore.readStream("d-1", { from: 70, limit: 100 })
          expect(middle).toEqual(forwards.slice(69, 169))
        })
      await withStore(directory, (store) =>
        Effect.gen(function* () {
          yield* store.eventStore.append(
            "d-1",
            ExpectedVersion.any,
            Array.from({ length: 150 }, (_, i) => event(i))
          )
          for (let i = 150; i < 200; i++) {
            yield* store.eventStore.append(i % 2 === 0 ? "d-1" : "d-2", ExpectedVersion.any, [event(i)])
          }
          yield* check(store)
        })
      )
      await withStore(directory, check)
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe("hostile input", () => {
  it("stores hostile ids and payloads exactly, refuses invalid ones with typed errors, and writes nowhere else", async () => {
    const directory = tempDir("hostile")
    const parent = fs.readdirSync(path.dirname(directory)).sort()
    try {
      const ids = [
        "../../etc/passwd",
        "/etc/passwd",
        "..",
        "a/b\\c",
        "x".repeat(512),
        "流-Ω-😀",
        "%2e%2e%2f",
        "NUL",
        "CON.log"
      ]
      let deep: Record<string, unknown> = { bottom: true }
      for (let i = 0; i < Json.maxDepth - 2; i++) deep = { deep }
      let tooDeep: Record<string, unknown> = deep
      for (let i = 0; i < 10; i++) tooDeep = { tooDeep }
      const big = { text: "é".repeat(2_500_000), list: Array.from({ length: 1000 }, (_, i) => i) } // about 5 MB
      const proto = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}, "toString": "x"}')
      const payloads = [big, deep, proto, { "": "", "\u0000key": "nul in a key", emoji: "👩‍👩‍👧" }]
      const stored = await withStore(
        directory,
        (store) =>
          Effect.gen(function* () {
            for (const id of ids) yield* store.eventStore.append(id, ExpectedVersion.noStream, [newEvent({ id })])
            for (const data of payloads)
              yield* store.eventStore.append("payloads", ExpectedVersion.any, [newEvent(data)])
            for (const id of ["", "x".repeat(513), "tab\there", "nul\u0000", " padded", "\ud800"]) {
              const error = yield* Effect.flip(store.eventStore.append(id, ExpectedVersion.any, [newEvent(1)]))
              expect(error._tag).toBe("InvalidStreamId")
            }
            const refused = yield* Effect.flip(
              store.eventStore.append("payloads", ExpectedVersion.any, [newEvent(tooDeep)])
            )
            expect(refused._tag).toBe("InvalidEvent")
            const badName = yield* Effect.flip(
              store.checkpointStore.save("../../x\u0000", { position: Checkpoint.beginning, version: 1 })
            )
            expect(badName._tag).toBe("StorageFailure")
            yield* store.checkpointStore.save("../../etc/passwd", { position: Checkpoint.beginning, version: 1 })
            return yield* store.eventStore.readStream("payloads")
          }),
        { segmentSize: 1 << 20 }
      )
      expect(stored.map((e) => e.data)).toEqual(payloads)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      await withStore(directory, (store) =>
        Effect.gen(function* () {
          for (const id of ids) {
            const read = yield* store.eventStore.readStream(id)
            expect(read.map((e) => [e.streamId, e.data])).toEqual([[id, { id }]])
          }
          const again = yield* store.eventStore.readStream("payloads")
          expect(again).toEqual(stored)
          expect(JSON.stringify(again[2]?.data)).toBe(JSON.stringify(proto))
          expect(Object.getPrototypeOf(again[2]?.data)).toBe(Object.prototype)
          expect(Option.isSome(yield* store.checkpointStore.load("../../etc/passwd"))).toBe(true)
        })
      )
      // Only the store's own files exist, all inside its directory.
      const files = listing(directory)
      expect(
        files.filter((f) => !/^(segment-\d{10}\.log|checkpoints|checkpoints\/[0-9a-f]{64}\.json)$/.test(f))
      ).toEqual([])
      expect(
        fs.readdirSync(path.dirname(directory)).filter((f) => !parent.includes(f) && !f.startsWith("vouch-"))
      ).toEqual([])
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe("read-only", () => {
  it("reads alongside a writer, follows new events by polling, and refuses writes with a typed error", async () => {
    const directory = tempDir("readonly")
    try {
      await withStore(
        directory,
        (writer) =>
          Effect.gen(function* () {
            yield* writer.eventStore.append("ro", ExpectedVersion.noStream, [newEvent(1), newEvent(2)])
            const reader = yield* FileEventStore.make({ directory, readOnly: true, pollInterval: 10 })
            const seen = yield* everything(reader)
            expect(seen.map((e) => e.data)).toEqual([1, 2])
            const refused = yield* Effect.flip(reader.eventStore.append("ro", ExpectedVersion.any, [newEvent(3)]))
            expect(refused).toMatchObject({ _tag: "StorageFailure", retryable: false })
            expect((refused as StorageFailure).cause).toBeInstanceOf(FileEventStore.StoreReadOnly)
            const refusedSave = yield* Effect.flip(
              reader.checkpointStore.save("p", { position: Checkpoint.beginning, version: 1 })
            )
            expect(refusedSave._tag).toBe("StorageFailure")
            const waiting = yield* Effect.forkChild(reader.eventStore.waitForEvents(seen[1]!.globalPosition))
            // Enough events to roll over into new segments while the reader follows.
            for (let i = 0; i < 40; i++)
              yield* writer.eventStore.append("ro", ExpectedVersion.any, [newEvent({ i, pad: "p".repeat(500) })])
            yield* Fiber.join(waiting).pipe(Effect.timeout(5_000))
            const caughtUp = yield* everything(reader)
            expect(caughtUp).toEqual(yield* everything(writer))
            expect(yield* reader.eventStore.streamVersion("ro")).toBe(42)
          }).pipe(Effect.scoped),
        { segmentSize: 4096 }
      )
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})
