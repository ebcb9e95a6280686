/**
 * Benchmarks of the file store, with durability on (every acknowledged append is fdatasync'ed).
 * Each workload builds its store in a fresh temporary directory and removes it afterwards.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Aggregate, Checkpoint, type Event, EventId, EventStore, ExpectedVersion } from "@vouch/core"
import { FileEventStore } from "@vouch/store-file"
import { Effect } from "effect"
import { type Measurement, main, type Workload } from "../../../bench/harness.ts"
import { Case, encodedCaseEvent } from "../../store-memory/bench/caseAggregate.ts"

const event = (i: number): Event.NewEvent => ({
  eventId: EventId.make(),
  eventType: "bench/Counted",
  schemaVersion: 1,
  data: { i, amount: i % 100, note: "a short note" },
  metadata: { actor: "bench" }
})

// Appends and the read-and-fold workload use the memory bench's complaint-like aggregate, encoded
// through its catalog and folded through its decider, as `Aggregate.load` does for an application.
/** Runs `body` against a store in a fresh directory. */
const withStore = <A>(
  body: (store: EventStore.Service, directory: string) => Effect.Effect<A, unknown>,
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "vouch-file-bench-"))
): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(FileEventStore.make({ directory }), ({ eventStore }) => body(eventStore, directory)))
  ).finally(() => fs.rmSync(directory, { recursive: true, force: true }))

/** The disk's own rate of 200-byte writes each followed by fdatasync, in preallocated space: the ceiling for one writer. */
const rawSyncRate = (directory: string): number => {
  const file = path.join(directory, "raw-baseline")
  const fd = fs.openSync(file, "w+")
  fs.writeSync(fd, Buffer.alloc(4 << 20))
  fs.fsyncSync(fd)
  const record = Buffer.alloc(200, 1)
  const n = 1000
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    fs.writeSync(fd, record, 0, record.length, i * 200)
    fs.fdatasyncSync(fd)
  }
  const ms = performance.now() - start
  fs.closeSync(fd)
  fs.rmSync(file)
  return (n / ms) * 1000
}

/** Appends events encoded through the catalog, as applications (and the command handler) do. */
const appendLoop = (store: EventStore.Service, stream: string, calls: number, perCall: number) =>
  Effect.gen(function* () {
    for (let n = 0; n < calls; n++) {
      yield* store.append(
        stream,
        ExpectedVersion.exact(n * perCall),
        Array.from({ length: perCall }, (_, i) => encodedCaseEvent(stream, n * perCall + i))
      )
    }
  })

const timed = <A>(effect: Effect.Effect<A, unknown>) =>
  Effect.gen(function* () {
    const start = performance.now()
    yield* effect
    return performance.now() - start
  })

const writers = (store: EventStore.Service, count: number, calls: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, w) => w),
    (w) => appendLoop(store, `writer-${w}`, calls, 1),
    { concurrency: "unbounded", discard: true }
  )

/** Appends `total` events over `streams` streams in large batches (setup, not measured). */
const fill = (
  store: EventStore.Service,
  total: number,
  streams: number,
  batch = 1000,
  make: (streamId: string, i: number) => Event.NewEvent = (_, i) => event(i)
) =>
  Effect.gen(function* () {
    const perStream = Math.ceil(total / streams)
    const versions = new Array(streams).fill(0)
    let written = 0
    let s = 0
    while (written < total) {
      const n = Math.min(batch, total - written, perStream - versions[s])
      if (n > 0) {
        const streamId = `stream-${s}`
        yield* store.append(
          streamId,
          ExpectedVersion.exact(versions[s]),
          Array.from({ length: n }, (_, i) => make(streamId, written + i))
        )
        versions[s] += n
        written += n
      }
      s = (s + 1) % streams
    }
  })

const workloads: ReadonlyArray<Workload> = [
  {
    name: "append, 1 event per call, 1 writer",
    run: () =>
      withStore((store, directory) =>
        Effect.gen(function* () {
          const raw = rawSyncRate(directory)
          yield* appendLoop(store, "warmup", 200, 1)
          const calls = 10_000
          const ms = yield* timed(appendLoop(store, "one", calls, 1))
          const rate = (calls / ms) * 1000
          return {
            events: calls,
            ms,
            extra: {
              "raw write+fdatasync/s on this disk now": Math.round(raw),
              "% of raw": Math.round((100 * rate) / raw)
            }
          } satisfies Measurement
        })
      )
  },
  {
    name: "append, 10 events per call, 1 writer",
    run: () =>
      withStore((store) =>
        Effect.gen(function* () {
          yield* appendLoop(store, "warmup", 200, 10)
          const calls = 5_000
          const ms = yield* timed(appendLoop(store, "ten", calls, 10))
          return {
            events: calls * 10,
            ms,
            extra: { "appends/s": Math.round((calls / ms) * 1000) }
          } satisfies Measurement
        })
      )
  },
  {
    name: "append, 1 event per call, 8 concurrent writers",
    run: () =>
      withStore((store) =>
        Effect.gen(function* () {
          yield* appendLoop(store, "warmup", 200, 1)
          const baselineCalls = 3_000
          const baselineMs = yield* timed(appendLoop(store, "baseline", baselineCalls, 1))
          const baseline = (baselineCalls / baselineMs) * 1000
          const calls = 5_000
          const ms = yield* timed(writers(store, 8, calls))
          const rate = ((8 * calls) / ms) * 1000
          return {
            events: 8 * calls,
            ms,
            extra: { "single-writer baseline/s": Math.round(baseline), "× baseline": (rate / baseline).toFixed(1) }
          } satisfies Measurement
        })
      )
  },
  {
    // Rehydration as an application sees it: read through the store, decode every event through
    // the catalog, fold through the decider. The read alone is timed too, so each layer's cost shows.
    name: "read and fold one stream of 100,000 events (catalog decode + decider fold)",
    run: () =>
      withStore((store) =>
        Effect.gen(function* () {
          const events = 100_000
          yield* fill(store, events, 1, 1000, encodedCaseEvent)
          const read = Effect.map(store.readStream("stream-0"), (read) => {
            if (read.length !== events) throw new Error(`read ${read.length}`)
          })
          const load = Effect.map(
            Effect.provideService(Aggregate.load(Case, "stream-0"), EventStore.EventStore, store),
            (loaded) => {
              if (loaded.state.count !== events) throw new Error(`folded ${loaded.state.count}`)
            }
          )
          const rounds = 5
          const readMs = yield* timed(read)
          const loadMs = yield* timed(load)
          const readRoundsMs = yield* timed(
            Effect.forEach(Array.from({ length: rounds }), () => read, { discard: true })
          )
          const ms = yield* timed(Effect.forEach(Array.from({ length: rounds }), () => load, { discard: true }))
          const rate = (n: number, ms: number) => Math.round((n / ms) * 1000)
          return {
            events: events * rounds,
            ms,
            extra: {
              "read only events/s": rate(events * rounds, readRoundsMs),
              "first read events/s": rate(events, readMs),
              "first read and fold events/s": rate(events, loadMs)
            }
          } satisfies Measurement
        })
      )
  },
  {
    name: "global read of 200,000 events in batches of 1,000",
    run: () =>
      withStore((store) =>
        Effect.gen(function* () {
          yield* fill(store, 200_000, 100, 100)
          let count = 0
          const ms = yield* timed(
            Effect.gen(function* () {
              let after = Checkpoint.beginning
              for (;;) {
                const batch = yield* store.readAll({ after, limit: 1000 })
                if (batch.length === 0) return
                count += batch.length
                after = (batch[batch.length - 1] as Event.RecordedEvent).globalPosition
              }
            })
          )
          if (count !== 200_000) throw new Error(`read ${count}`)
          return { events: count, ms } satisfies Measurement
        })
      )
  },
  {
    name: "open a store of 1,000,000 events",
    run: async () => {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "vouch-file-bench-"))
      try {
        await Effect.runPromise(
          Effect.scoped(
            Effect.flatMap(FileEventStore.make({ directory }), ({ eventStore }) =>
              fill(eventStore, 1_000_000, 10_000, 100)
            )
          )
        )
        ;(globalThis as { gc?: () => void }).gc?.()
        const rssBefore = process.memoryUsage().rss
        const start = performance.now()
        const version = await Effect.runPromise(
          Effect.scoped(
            Effect.flatMap(FileEventStore.make({ directory }), ({ eventStore }) =>
              Effect.flatMap(
                Effect.sync(() => performance.now() - start),
                (openMs) => Effect.map(eventStore.streamVersion("stream-7"), (v) => ({ openMs, v }))
              )
            )
          )
        )
        const files = fs.readdirSync(directory).filter((f) => f.endsWith(".log"))
        return {
          events: 1_000_000,
          ms: version.openMs,
          extra: {
            "open ms": Math.round(version.openMs),
            segments: files.length,
            "stream-7 version": version.v,
            "rss before open MB": Math.round(rssBefore / 1024 / 1024)
          }
        } satisfies Measurement
      } finally {
        fs.rmSync(directory, { recursive: true, force: true })
      }
    }
  }
]

await main("@vouch/store-file", import.meta.filename ?? fileURLToPath(import.meta.url), workloads)
