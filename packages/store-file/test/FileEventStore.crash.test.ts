/**
 * Crash safety with real processes: a child appends in a loop and is killed with SIGKILL at
 * random moments; every append it reported as acknowledged must survive, versions must stay
 * contiguous, and the store must take appends again. Also: the single-writer lock between
 * processes, and damage that must be reported rather than skipped.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Checkpoint, type Event, ExpectedVersion } from "@vouch/core"
import type { FileEventStore } from "@vouch/store-file"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { listing, newEvent, openFailure, startChild, tempDir, withStore } from "./helpers.ts"

const readAllEvents = (store: FileEventStore.FileStores) =>
  Effect.gen(function* () {
    const all: Array<Event.RecordedEvent> = []
    let after = Checkpoint.beginning
    for (;;) {
      const batch = yield* store.eventStore.readAll({ after, limit: 5000 })
      if (batch.length === 0) return all
      all.push(...batch)
      after = (batch[batch.length - 1] as Event.RecordedEvent).globalPosition
    }
  })

interface Ack {
  readonly stream: string
  readonly first: number
  readonly last: number
  readonly ids: ReadonlyArray<string>
}

const parseAck = (line: string): Ack | undefined => {
  const [tag, stream, first, last, ids] = line.split(" ")
  if (tag !== "ACK" || stream === undefined || ids === undefined) return undefined
  return { stream, first: Number(first), last: Number(last), ids: ids.split(",") }
}

describe("crash safety", () => {
  it("keeps every acknowledged append across 20 SIGKILLs at random moments", async () => {
    const directory = tempDir("crash")
    const acks: Array<Ack> = []
    const started = Date.now()
    try {
      for (let round = 0; round < 20; round++) {
        const child = startChild("write", directory)
        await child.waitFor((line) => line === "READY")
        // Let it append for a random while, then kill it without warning.
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 300))
        child.process.kill("SIGKILL")
        await child.exited
        const roundAcks = child.lines.map(parseAck).filter((ack): ack is Ack => ack !== undefined)
        acks.push(...roundAcks)
        await withStore(directory, (store) =>
          Effect.gen(function* () {
            const all = yield* readAllEvents(store)
            const byId = new Map(all.map((e) => [e.eventId, e]))
            for (const ack of acks) {
              ack.ids.forEach((id, i) => {
                const event = byId.get(id)
                expect(event, `acknowledged event ${id} is missing after round ${round}`).toBeDefined()
                expect(event?.streamId).toBe(ack.stream)
                expect(event?.streamVersion).toBe(ack.first + i)
              })
            }
            expect(all.map((e) => e.globalPosition)).toEqual(all.map((_, i) => Checkpoint.fromNumber(i + 1)))
            const streams = new Map<string, Array<number>>()
            for (const e of all) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e.streamVersion])
            for (const [stream, versions] of streams) {
              expect(versions).toEqual(versions.map((_, i) => i + 1))
              expect(yield* store.eventStore.streamVersion(stream)).toBe(versions.length)
            }
            // The store takes appends again, right after the last surviving version.
            const stream = "crash-0"
            const version = yield* store.eventStore.streamVersion(stream)
            const result = yield* store.eventStore.append(stream, ExpectedVersion.exact(version), [
              newEvent({ after: round })
            ])
            expect(result.lastVersion).toBe(version + 1)
          })
        )
      }
      expect(acks.length).toBeGreaterThan(20)
      expect(Date.now() - started).toBeLessThan(80_000)
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  }, 90_000)
})

describe("single writer", () => {
  it("refuses a second writer process with StoreLocked, lets readers in, and frees the lock when the holder dies", async () => {
    const directory = tempDir("lock")
    try {
      // This process writes; a child may only read.
      await withStore(directory, (store) =>
        Effect.gen(function* () {
          yield* store.eventStore.append("locked", ExpectedVersion.noStream, [newEvent(1), newEvent(2)])
          const probe = startChild("probe", directory)
          const line = yield* Effect.promise(() =>
            probe.waitFor((l) => l.startsWith("LOCKED") || l.startsWith("OPENED") || l.startsWith("ERROR"))
          )
          expect(line).toBe(`LOCKED ${process.pid}`)
          const reader = startChild("read", directory)
          expect(
            yield* Effect.promise(() => reader.waitFor((l) => l.startsWith("EVENTS") || l.startsWith("ERROR")))
          ).toBe("EVENTS 2")
        })
      )
      // A child holds the lock; this process is refused, until the child is killed.
      const holder = startChild("hold", directory)
      await holder.waitFor((line) => line === "READY")
      const refused = await openFailure(directory)
      expect(refused).toMatchObject({ _tag: "StoreLocked", pid: holder.process.pid })
      holder.process.kill("SIGKILL")
      await holder.exited
      expect(await openFailure(directory)).toBe("opened")
      // After a clean close the lock file is gone.
      expect(listing(directory)).not.toContain("LOCK")
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  }, 60_000)

  it("refuses a second writer in the same process", async () => {
    const directory = tempDir("lock-same")
    try {
      await withStore(directory, () =>
        Effect.promise(() => openFailure(directory)).pipe(
          Effect.map((error) => expect(error).toMatchObject({ _tag: "StoreLocked", pid: process.pid }))
        )
      )
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

/** Record start offsets in a segment file, found by following the length fields. */
const recordOffsets = (file: string): Array<number> => {
  const bytes = fs.readFileSync(file)
  const offsets: Array<number> = []
  let at = 16
  while (at + 8 <= bytes.length && bytes.readUInt32LE(at) !== 0) {
    offsets.push(at)
    at += 8 + bytes.readUInt32LE(at)
  }
  return offsets
}

const segmentFile = (directory: string, n: number) => path.join(directory, `segment-${String(n).padStart(10, "0")}.log`)

/** A store of `appends` single-event appends over 3 streams, with small segments; returns every event. */
const buildStore = async (directory: string, appends: number, segmentSize = 64 * 1024) =>
  withStore(
    directory,
    (store) =>
      Effect.gen(function* () {
        for (let i = 0; i < appends; i++) {
          yield* store.eventStore.append(`s-${i % 3}`, ExpectedVersion.any, [
            newEvent({ i, text: "some text ".repeat(20) })
          ])
        }
        return yield* readAllEvents(store)
      }),
    { segmentSize }
  )

describe("damage", () => {
  it("reports a damaged record in the middle of the log with the file and byte offset", async () => {
    const directory = tempDir("damage-middle")
    try {
      await buildStore(directory, 600)
      const file = segmentFile(directory, 1)
      const target = recordOffsets(file)[40] as number
      const fd = fs.openSync(file, "r+")
      fs.writeSync(fd, Buffer.from([0xff ^ fs.readFileSync(file)[target + 120]!]), 0, 1, target + 120)
      fs.closeSync(fd)
      expect(await openFailure(directory)).toMatchObject({ _tag: "StoreCorrupted", file, offset: target })
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  it("reports damage in the last segment when valid records follow it", async () => {
    const directory = tempDir("damage-last")
    try {
      await buildStore(directory, 600)
      const last = fs.readdirSync(directory).filter((f) => f.endsWith(".log")).length
      const file = segmentFile(directory, last)
      const offsets = recordOffsets(file)
      expect(offsets.length).toBeGreaterThan(5)
      const target = offsets[2] as number
      const fd = fs.openSync(file, "r+")
      fs.writeSync(fd, Buffer.alloc(8), 0, 8, target) // zero the length and checksum
      fs.closeSync(fd)
      const error = await openFailure(directory)
      expect(error).toMatchObject({ _tag: "StoreCorrupted", file, offset: target })
      expect(String((error as FileEventStore.StoreCorrupted).reason)).toContain("valid records follow")
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  it("cuts off a record torn at the tail, keeps everything before it, and appends again", async () => {
    for (const damage of ["truncate", "garbage"] as const) {
      const directory = tempDir(`torn-${damage}`)
      try {
        const before = await buildStore(directory, 300)
        const last = fs.readdirSync(directory).filter((f) => f.endsWith(".log")).length
        const file = segmentFile(directory, last)
        const offsets = recordOffsets(file)
        const tail = offsets[offsets.length - 1] as number
        if (damage === "truncate") {
          fs.truncateSync(file, tail + 50)
        } else {
          const fd = fs.openSync(file, "r+")
          fs.writeSync(fd, Buffer.alloc(40, 0xab), 0, 40, tail + 60)
          fs.closeSync(fd)
        }
        const survivors = await withStore(directory, (store) =>
          Effect.gen(function* () {
            const all = yield* readAllEvents(store)
            const lost = before[before.length - 1] as Event.RecordedEvent
            const version = yield* store.eventStore.streamVersion(lost.streamId)
            expect(version).toBe(lost.streamVersion - 1)
            yield* store.eventStore.append(lost.streamId, ExpectedVersion.exact(version), [newEvent({ again: true })])
            return all
          })
        )
        expect(survivors).toEqual(before.slice(0, -1))
        // Reopening again finds the repaired log clean, with the new event in place.
        const after = await withStore(directory, readAllEvents)
        expect(after.length).toBe(before.length)
        expect(after.slice(0, -1)).toEqual(before.slice(0, -1))
      } finally {
        fs.rmSync(directory, { recursive: true, force: true })
      }
    }
  })

  it("removes an append cut short between its records as a whole", async () => {
    const directory = tempDir("torn-batch")
    try {
      const before = await buildStore(directory, 20)
      await withStore(directory, (store) =>
        store.eventStore.append(
          "batch",
          ExpectedVersion.noStream,
          Array.from({ length: 5 }, (_, i) => newEvent({ i }))
        )
      )
      const file = segmentFile(directory, 1)
      const offsets = recordOffsets(file)
      expect(offsets.length).toBe(25)
      const fd = fs.openSync(file, "r+")
      const lastStart = offsets[24] as number
      fs.writeSync(fd, Buffer.alloc(300), 0, 300, lastStart) // the last of the five never reached the disk
      fs.closeSync(fd)
      await withStore(directory, (store) =>
        Effect.gen(function* () {
          expect(yield* readAllEvents(store)).toEqual(before)
          expect(yield* store.eventStore.streamVersion("batch")).toBe(0)
        })
      )
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  it("reports a missing segment file", async () => {
    const directory = tempDir("missing")
    try {
      await buildStore(directory, 600)
      fs.rmSync(segmentFile(directory, 2))
      expect(await openFailure(directory)).toMatchObject({ _tag: "StoreCorrupted", file: segmentFile(directory, 2) })
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})
