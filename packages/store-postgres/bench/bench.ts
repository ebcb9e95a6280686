/**
 * Benchmarks of the PostgreSQL store against a minimal baseline: raw `pg` inserts into a plain
 * events table (bigserial id, stream_id, version, type, data jsonb) with the same batching, and a
 * paged read of it. Each workload runs in a schema of its own, dropped afterwards. Without a
 * reachable server the suite prints why and exits 0.
 */
import { PgClient } from "@effect/sql-pg"
import { Aggregate, Decider, type Event, EventCatalog, EventStore, ExpectedVersion } from "@vouch/core"
import { PgEventStore } from "@vouch/store-postgres"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Option, Result, Schema } from "effect"
import pg from "pg"
import { type Measurement, main, type Workload } from "../../../bench/harness.ts"

const connection = {
  host: process.env.PGHOST ?? "127.0.0.1",
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? "postgres",
  database: process.env.PGDATABASE ?? "test"
}
const where = `${connection.user}@${connection.host}:${connection.port}/${connection.database}`

const payload = (stream: number, n: number) => ({
  stream,
  n,
  kind: "ComplaintReceived",
  text: "The parcel arrived two days late and the box was damaged.",
  tags: ["delivery", "damage"]
})
// Vouch's side appends events encoded through a catalog, as applications and the command
// handler do; the stored JSON is the same payload the raw baseline inserts.
const Happened = Schema.TaggedStruct("Happened", {
  stream: Schema.Number,
  n: Schema.Number,
  kind: Schema.String,
  text: Schema.String,
  tags: Schema.Array(Schema.String)
})
const Events = EventCatalog.make("bench", Schema.Union([Happened]))
const newEvent = (stream: number, n: number): Event.NewEvent =>
  Result.getOrThrow(
    Events.encode(
      { _tag: "Happened", ...payload(stream, n) },
      { streamId: `bench-${stream}`, metadata: { correlationId: "bench" } }
    )
  )

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** Runs `body` against a fresh schema holding a store and a raw baseline table; drops it after. */
const withSchema = async <A>(
  body: (
    raw: pg.Pool,
    table: string,
    run: <B, E>(effect: Effect.Effect<B, E, EventStore.EventStore>) => Promise<B>
  ) => Promise<A>
): Promise<A> => {
  const schema = `vouch_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`
  const raw = new pg.Pool({ ...connection, max: 10 })
  await raw.query(`CREATE SCHEMA ${schema}`)
  await raw.query(
    `CREATE TABLE ${schema}.raw_events (id bigserial PRIMARY KEY, stream_id text NOT NULL, version int NOT NULL, type text NOT NULL, data jsonb NOT NULL)`
  )
  const layer = PgEventStore.layer({ schema }).pipe(
    Layer.provideMerge(PgClient.layer({ ...connection, username: connection.user, maxConnections: 10 }))
  )
  const runtime = ManagedRuntime.make(layer)
  try {
    await runtime.runPromise(Effect.void)
    return await body(raw, `${schema}.raw_events`, (effect) => runtime.runPromise(effect))
  } finally {
    await runtime.dispose()
    await raw.query(`DROP SCHEMA ${schema} CASCADE`)
    await raw.end()
  }
}

/** One raw multi-row INSERT per call, autocommitted, as an application without a store would. */
const rawAppend = (
  raw: pg.Pool,
  table: string,
  stream: string,
  fromVersion: number,
  events: ReadonlyArray<Event.NewEvent>
) => {
  const values: Array<unknown> = []
  const tuples = events.map((event, i) => {
    values.push(stream, fromVersion + i + 1, event.eventType, JSON.stringify(event.data))
    const b = i * 4
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4})`
  })
  return raw.query(`INSERT INTO ${table} (stream_id, version, type, data) VALUES ${tuples.join(", ")}`, values)
}

/**
 * Appends `calls` batches of `batch` events from each of `writers` concurrent writers, vouch vs
 * raw. The two alternate in halves, so a burst of load from elsewhere on the machine hits both.
 */
const appends =
  (writers: number, batch: number, calls: number): Workload["run"] =>
  () =>
    withSchema(async (raw, table, run) => {
      const total = writers * batch * calls
      let vouchMs = 0
      let rawMs = 0
      let vouchCpu = 0
      let rawCpu = 0
      const half = Math.floor(calls / 2)
      // Warm up both sides: every pooled session prepares its statements (and compiles the
      // append function) on first use.
      await run(
        Effect.forEach(
          range(10),
          (w) =>
            Effect.flatMap(EventStore.EventStore, (es) =>
              es.append(
                `warm${w}`,
                ExpectedVersion.any,
                range(batch).map((n) => newEvent(w, n))
              )
            ),
          { concurrency: "unbounded" }
        )
      )
      await Promise.all(
        range(10).map((w) =>
          rawAppend(
            raw,
            table,
            `warm${w}`,
            0,
            range(batch).map((n) => newEvent(w, n))
          )
        )
      )
      for (const [from, to] of [
        [0, half],
        [half, calls]
      ] as const) {
        const vouchStart = performance.now()
        const vouchCpuStart = process.cpuUsage()
        await run(
          Effect.forEach(
            range(writers),
            (w) =>
              Effect.gen(function* () {
                const es = yield* EventStore.EventStore
                for (let c = from; c < to; c++) {
                  yield* es.append(
                    `w${w}`,
                    ExpectedVersion.exact(c * batch),
                    range(batch).map((n) => newEvent(w, c * batch + n))
                  )
                }
              }),
            { concurrency: "unbounded" }
          )
        )
        vouchMs += performance.now() - vouchStart
        const vouchCpuUsed = process.cpuUsage(vouchCpuStart)
        vouchCpu += (vouchCpuUsed.user + vouchCpuUsed.system) / 1000
        const rawStart = performance.now()
        const rawCpuStart = process.cpuUsage()
        await Promise.all(
          range(writers).map(async (w) => {
            for (let c = from; c < to; c++) {
              await rawAppend(
                raw,
                table,
                `w${w}`,
                c * batch,
                range(batch).map((n) => newEvent(w, c * batch + n))
              )
            }
          })
        )
        rawMs += performance.now() - rawStart
        const rawCpuUsed = process.cpuUsage(rawCpuStart)
        rawCpu += (rawCpuUsed.user + rawCpuUsed.system) / 1000
      }
      const rawRate = (total / rawMs) * 1000
      const vouchRate = (total / vouchMs) * 1000
      return {
        events: total,
        ms: vouchMs,
        extra: {
          "raw pg events/s": rawRate,
          "vouch/raw": (vouchRate / rawRate).toFixed(2),
          "client CPU µs/event vouch": ((vouchCpu * 1000) / total).toFixed(1),
          raw: ((rawCpu * 1000) / total).toFixed(1)
        }
      } satisfies Measurement
    })

/** Seeds `streams` streams of `perStream` events (in batches of 100), in both tables. */
const seed = async (
  raw: pg.Pool,
  table: string,
  run: <B, E>(effect: Effect.Effect<B, E, EventStore.EventStore>) => Promise<B>,
  streams: number,
  perStream: number
) => {
  await run(
    Effect.gen(function* () {
      const es = yield* EventStore.EventStore
      yield* Effect.forEach(
        range(streams),
        (s) =>
          Effect.gen(function* () {
            for (let v = 0; v < perStream; v += 100) {
              yield* es.append(
                `s${s}`,
                ExpectedVersion.exact(v),
                range(Math.min(100, perStream - v)).map((n) => newEvent(s, v + n))
              )
            }
          }),
        { concurrency: 8 }
      )
    })
  )
  let next = 0
  await Promise.all(
    range(8).map(async () => {
      for (;;) {
        const s = next++
        if (s >= streams) return
        for (let v = 0; v < perStream; v += 100) {
          await rawAppend(
            raw,
            table,
            `s${s}`,
            v,
            range(Math.min(100, perStream - v)).map((n) => newEvent(s, v + n))
          )
        }
      }
    })
  )
}

/** Both sides read analyzed tables, as they would in production once autovacuum has run. */
const analyze = async (raw: pg.Pool, table: string) => {
  const schema = table.split(".")[0]
  await raw.query(`VACUUM ANALYZE ${table}, ${schema}.events, ${schema}.streams`)
}

/** What rehydration folds on both sides: a count, a sum and the last kind seen. */
interface Tally {
  readonly count: number
  readonly sum: number
  readonly kind: string
}
const Tallied = Aggregate.make({
  category: "s",
  events: Events,
  decider: Decider.make<never, Tally, typeof Happened.Type, never>({
    initialState: { count: 0, sum: 0, kind: "" },
    evolve: (state, event) => {
      state.count++
      state.sum += event.n
      state.kind = event.kind
    },
    decide: () => Result.succeed([])
  })
})

/**
 * Loads 1,000 aggregates of 100 events, 8 at a time: Vouch through `Aggregate.load` (read, decode
 * through the catalog, fold), the raw baseline by selecting each stream's rows with `pg` (which
 * parses the jsonb) and folding them by hand. The two alternate in halves.
 */
const rehydrate: Workload["run"] = () =>
  withSchema(async (raw, table, run) => {
    const streams = 1000
    const perStream = 100
    await seed(raw, table, run, streams, perStream)
    // Reading by stream needs the index any application would have; the append workloads'
    // minimal table goes without, so it is built here, after seeding.
    await raw.query(`CREATE INDEX ON ${table} (stream_id, version)`)
    await analyze(raw, table)
    const vouchLoad = (ids: ReadonlyArray<number>) =>
      run(
        Effect.forEach(ids, (s) => Effect.map(Aggregate.load(Tallied, `s${s}`), (loaded) => loaded.state.count), {
          concurrency: 8
        })
      )
    const rawLoad = async (ids: ReadonlyArray<number>) => {
      const counts: Array<number> = []
      let next = 0
      await Promise.all(
        range(8).map(async () => {
          while (next < ids.length) {
            const s = ids[next++] as number
            const { rows } = await raw.query(
              `SELECT version, type, data FROM ${table} WHERE stream_id = $1 ORDER BY version`,
              [`s${s}`]
            )
            const tally = { count: 0, sum: 0, kind: "" }
            for (const row of rows as ReadonlyArray<{ data: { n: number; kind: string } }>) {
              tally.count++
              tally.sum += row.data.n
              tally.kind = row.data.kind
            }
            counts.push(tally.count)
          }
        })
      )
      return counts
    }
    const halves = [range(streams / 2), range(streams / 2).map((s) => s + streams / 2)] as const
    let vouchMs = 0
    let rawMs = 0
    let vouchCount = 0
    let rawCount = 0
    for (const [i, half] of halves.entries()) {
      for (const side of i === 0 ? (["vouch", "raw"] as const) : (["raw", "vouch"] as const)) {
        const start = performance.now()
        const counts = side === "vouch" ? await vouchLoad(half) : await rawLoad(half)
        const total = counts.reduce((a, b) => a + b, 0)
        if (side === "vouch") {
          vouchMs += performance.now() - start
          vouchCount += total
        } else {
          rawMs += performance.now() - start
          rawCount += total
        }
      }
    }
    if (vouchCount !== streams * perStream || rawCount !== streams * perStream) {
      throw new Error(`loaded ${vouchCount} and ${rawCount} events`)
    }
    const rawRate = (rawCount / rawMs) * 1000
    return {
      events: vouchCount,
      ms: vouchMs,
      extra: {
        "raw pg events/s": rawRate,
        "vouch/raw": (((vouchCount / vouchMs) * 1000) / rawRate).toFixed(2),
        "streams loaded concurrently": 8
      }
    } satisfies Measurement
  })

const globalRead: Workload["run"] = () =>
  withSchema(async (raw, table, run) => {
    const total = 100_000
    await seed(raw, table, run, 100, total / 100)
    await analyze(raw, table)
    const start = performance.now()
    const count = await run(
      Effect.gen(function* () {
        const es = yield* EventStore.EventStore
        let seen = 0
        let after: string | undefined
        for (;;) {
          const batch = yield* es.readAll(
            after === undefined ? { limit: 1000 } : { after: after as never, limit: 1000 }
          )
          if (batch.length === 0) return seen
          seen += batch.length
          after = (batch[batch.length - 1] as Event.RecordedEvent).globalPosition
        }
      })
    )
    const ms = performance.now() - start
    if (count !== total) throw new Error(`read ${count} events`)
    const client = await raw.connect()
    const rawStart = performance.now()
    let rawCount = 0
    try {
      let after = "0"
      for (;;) {
        const { rows } = await client.query(
          `SELECT id, stream_id, version, type, data FROM ${table} WHERE id > $1 ORDER BY id LIMIT 1000`,
          [after]
        )
        if (rows.length === 0) break
        rawCount += rows.length
        after = rows[rows.length - 1].id
      }
    } finally {
      client.release()
    }
    const rawMs = performance.now() - rawStart
    const rawRate = (rawCount / rawMs) * 1000
    return {
      events: count,
      ms,
      extra: { "raw pg events/s": rawRate, "vouch/raw": (((count / ms) * 1000) / rawRate).toFixed(2) }
    } satisfies Measurement
  })

const contention: Workload["run"] = () =>
  withSchema(async (_raw, _table, run) => {
    const writers = 8
    const perWriter = 100
    let conflicts = 0
    const start = performance.now()
    await run(
      Effect.gen(function* () {
        const es = yield* EventStore.EventStore
        yield* Effect.forEach(
          range(writers),
          (w) =>
            Effect.gen(function* () {
              for (let n = 0; n < perWriter; n++) {
                const event = newEvent(w, n)
                for (;;) {
                  const version = yield* es.streamVersion("hot")
                  const exit = yield* Effect.exit(es.append("hot", ExpectedVersion.exact(version), [event]))
                  if (Exit.isSuccess(exit)) break
                  const error = Cause.findErrorOption(exit.cause)
                  if (Option.isNone(error) || error.value._tag !== "ConcurrencyConflict")
                    return yield* Effect.failCause(exit.cause)
                  conflicts++
                }
              }
            }),
          { concurrency: "unbounded" }
        )
      })
    )
    return { events: writers * perWriter, ms: performance.now() - start, extra: { conflicts } } satisfies Measurement
  })

const workloads: ReadonlyArray<Workload> = [
  { name: "append 1 event/call, 1 writer", run: appends(1, 1, 1500) },
  { name: "append 10 events/call, 1 writer", run: appends(1, 10, 600) },
  { name: "append 1 event/call, 8 writers (distinct streams)", run: appends(8, 1, 400) },
  { name: "append 10 events/call, 8 writers (distinct streams)", run: appends(8, 10, 300) },
  { name: "rehydrate 1,000 streams of 100 events (read, decode, fold)", run: rehydrate },
  { name: "global read (100,000 events, pages of 1,000)", run: globalRead },
  { name: "contention: 8 writers on one stream (retry on conflict)", run: contention }
]

const probe = async (): Promise<boolean> => {
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

if (await probe()) {
  await main("@vouch/store-postgres", new URL(import.meta.url).pathname, workloads)
} else {
  console.log(`\n## @vouch/store-postgres\n\nskipped: PostgreSQL not reachable at ${where}\n`)
}
