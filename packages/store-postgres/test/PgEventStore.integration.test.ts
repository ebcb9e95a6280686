import { Checkpoint, CheckpointStore, type Event, EventStore, ExpectedVersion } from "@vouch/core"
import { PgEventStore, PgMigrations } from "@vouch/store-postgres"
import { EventStoreSuite } from "@vouch/testing"
import { Cause, Effect, Exit, Fiber, Layer, Option } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { describe, expect, it } from "vitest"
import { dropSchemaOnRelease, gate, pgLayer, rawClient, runWith, scratchSchema, scratchStore } from "./support.ts"

const { up, skip } = await gate()

EventStoreSuite.run({ name: "postgres", layer: scratchStore(), skip })

const newEvent = EventStoreSuite.newEvent

const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
    return Option.getOrThrow(Cause.findErrorOption(exit.cause)) as E
  })

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** Follows the global log until it has seen `total` events; the order it saw them in. */
const subscriber = (total: number) =>
  Effect.gen(function* () {
    const es = yield* EventStore.EventStore
    const seen: Array<Event.RecordedEvent> = []
    let after = Checkpoint.beginning
    while (seen.length < total) {
      const batch = yield* es.readAll({ after, limit: 64 })
      if (batch.length === 0) {
        yield* es.waitForEvents(after).pipe(Effect.timeoutOption(100))
        continue
      }
      seen.push(...batch)
      after = (batch[batch.length - 1] as Event.RecordedEvent).globalPosition
    }
    return seen
  })

describe.skipIf(!up)("PgEventStore on PostgreSQL", () => {
  it("16 writers racing for each version of one stream: exactly one winner per version, nothing lost", () =>
    runWith(
      scratchStore(),
      Effect.gen(function* () {
        const es = yield* EventStore.EventStore
        const rounds = 20
        const writers = 16
        const winners: Array<string> = []
        for (let round = 0; round < rounds; round++) {
          const candidates = range(writers).map((w) => newEvent({ round, w }))
          const exits = yield* Effect.forEach(
            candidates,
            (event) => Effect.exit(es.append("contended", ExpectedVersion.exact(round), [event])),
            { concurrency: "unbounded" }
          )
          const won = range(writers).filter((w) => Exit.isSuccess(exits[w] as Exit.Exit<unknown, unknown>))
          expect(won.length).toBe(1)
          for (const exit of exits) {
            if (Exit.isFailure(exit)) {
              expect(Option.getOrThrow(Cause.findErrorOption(exit.cause))).toMatchObject({
                _tag: "ConcurrencyConflict",
                actual: round + 1
              })
            }
          }
          winners.push((candidates[won[0] as number] as Event.NewEvent).eventId)
        }
        const read = yield* es.readStream("contended")
        expect(read.map((e) => e.eventId)).toEqual(winners)
        expect(read.map((e) => e.streamVersion)).toEqual(range(rounds).map((i) => i + 1))

        // And with no expectation, 16 writers lose nothing and leave no gap.
        const appended = yield* Effect.forEach(
          range(writers),
          (w) =>
            Effect.gen(function* () {
              const ids: Array<string> = []
              for (let n = 0; n < 15; n++) {
                const batch = [newEvent({ w, n, k: 0 }), newEvent({ w, n, k: 1 })]
                yield* es.append("free-for-all", ExpectedVersion.any, batch)
                ids.push(...batch.map((e) => e.eventId))
              }
              return ids
            }),
          { concurrency: "unbounded" }
        )
        const all = yield* es.readStream("free-for-all")
        expect(all.map((e) => e.streamVersion)).toEqual(range(writers * 30).map((i) => i + 1))
        expect(new Set(all.map((e) => e.eventId))).toEqual(new Set(appended.flat()))
        // Each call's batch stays contiguous.
        for (let i = 0; i < all.length; i += 2) {
          const [a, b] = [all[i]?.data, all[i + 1]?.data] as Array<{ w: number; n: number; k: number }>
          expect([a?.w, a?.n, a?.k]).toEqual([b?.w, b?.n, 0])
          expect(b?.k).toBe(1)
        }
      })
    ))

  it("16 writers on distinct streams while 2 subscribers follow the global log: each sees every event once, in one order", () =>
    runWith(
      scratchStore({ pollInterval: "100 millis" }),
      Effect.gen(function* () {
        const es = yield* EventStore.EventStore
        const rounds = 3
        const writers = 16
        const perWriter = 40
        const batchSize = (n: number) => 1 + (n % 3)
        const perStream = range(perWriter).reduce((sum, n) => sum + batchSize(n), 0)
        const total = rounds * writers * perStream
        const subscribers = yield* Effect.forEach(range(2), () => Effect.forkChild(subscriber(total)))
        const appended = new Set<string>()
        for (let round = 0; round < rounds; round++) {
          yield* Effect.forEach(
            range(writers),
            (w) =>
              Effect.gen(function* () {
                let version = 0
                for (let n = 0; n < perWriter; n++) {
                  const batch = range(batchSize(n)).map((k) => newEvent({ round, w, n, k }))
                  const result = yield* es.append(`r${round}-w${w}`, ExpectedVersion.exact(version), batch)
                  version = result.lastVersion
                  for (const e of batch) appended.add(e.eventId)
                }
              }),
            { concurrency: "unbounded" }
          )
        }
        const seen = yield* Effect.forEach(subscribers, (fiber) => Fiber.join(fiber).pipe(Effect.timeout(60_000)))
        const everything = yield* es.readAll({ limit: total + 10 })
        for (const events of seen) {
          expect(events.length).toBe(total)
          const ids = events.map((e) => e.eventId)
          expect(new Set(ids).size).toBe(total)
          expect(new Set(ids)).toEqual(appended)
          for (let i = 1; i < events.length; i++) {
            expect(
              (events[i - 1] as Event.RecordedEvent).globalPosition < (events[i] as Event.RecordedEvent).globalPosition
            ).toBe(true)
          }
          expect(ids).toEqual(everything.map((e) => e.eventId))
          const versions = new Map<string, number>()
          for (const e of events) {
            expect(e.streamVersion).toBe((versions.get(e.streamId) ?? 0) + 1)
            versions.set(e.streamId, e.streamVersion)
          }
        }
      })
    ))

  it("a transaction held open makes readers wait instead of skipping its event", async () => {
    const schema = scratchSchema()
    const holder = await rawClient()
    try {
      await runWith(
        scratchStore({ pollInterval: "100 millis" }, schema),
        Effect.gen(function* () {
          const es = yield* EventStore.EventStore
          const first = yield* es.append("before", ExpectedVersion.noStream, [newEvent({ before: true })])
          const held = newEvent({ held: true }, "test/Held")
          yield* Effect.promise(async () => {
            await holder.query("BEGIN")
            await holder.query(`SELECT * FROM ${schema}.append($1, 0, 0, $2, $3, $4, $5, $6, now(), false)`, [
              "held",
              [held.eventId],
              [held.eventType],
              [1],
              [JSON.stringify(held.data)],
              ["{}"]
            ])
          })
          // Appends that start later get later transaction ids, and commit first.
          for (const i of range(5)) yield* es.append(`later-${i}`, ExpectedVersion.noStream, [newEvent({ i })])
          expect(yield* es.readAll({ after: first.position })).toEqual([])
          const lag = yield* PgEventStore.readerLag({ schema })
          expect(lag.heldBackEvents).toBeGreaterThanOrEqual(5)
          expect(lag.inFlightXidSpan).toBeGreaterThan(0)
          expect(Option.isNone(yield* es.waitForEvents(first.position).pipe(Effect.timeoutOption(700)))).toBe(true)
          expect(yield* es.readAll({ after: first.position })).toEqual([])

          const waiter = yield* Effect.forkChild(es.waitForEvents(first.position))
          yield* Effect.promise(() => holder.query("COMMIT"))
          yield* Fiber.join(waiter).pipe(Effect.timeout(5_000))
          const released = yield* es.readAll({ after: first.position })
          expect(released.map((e) => e.streamId)).toEqual(["held", ...range(5).map((i) => `later-${i}`)])
          expect((yield* PgEventStore.readerLag({ schema })).heldBackEvents).toBe(0)
        })
      )
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined)
      await holder.end()
    }
  })

  it("a connection killed mid-append leaves nothing behind and fails as retryable", async () => {
    const schema = scratchSchema()
    const blocker = await rawClient()
    const killer = await rawClient()
    try {
      await runWith(
        scratchStore({}, schema),
        Effect.gen(function* () {
          const es = yield* EventStore.EventStore
          const batch = range(10).map((i) => newEvent({ i }))
          // An uncommitted row holding the 6th event's id: the append inserts five rows, then
          // waits on the unique index, where we kill its session.
          yield* Effect.promise(async () => {
            await blocker.query("BEGIN")
            await blocker.query(
              `INSERT INTO ${schema}.events (tx_id, stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at)
               VALUES (0, 'blocker', 1, $1, 'test/Blocker', 1, '{}', '{}', now())`,
              [(batch[5] as Event.NewEvent).eventId]
            )
          })
          const appending = yield* Effect.forkChild(Effect.exit(es.append("victim", ExpectedVersion.noStream, batch)))
          let pid: number | undefined
          for (let i = 0; i < 200 && pid === undefined; i++) {
            yield* Effect.sleep(25)
            const { rows } = yield* Effect.promise(() =>
              killer.query(
                `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
                [`%${schema}.append(%`]
              )
            )
            pid = rows[0]?.pid
          }
          expect(pid).toBeDefined()
          yield* Effect.promise(() => killer.query("SELECT pg_terminate_backend($1)", [pid]))
          const exit = yield* Fiber.join(appending)
          expect(Exit.isFailure(exit)).toBe(true)
          const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
          expect(error).toMatchObject({ _tag: "StorageFailure", retryable: true })
          yield* Effect.promise(() => blocker.query("ROLLBACK"))

          const { rows } = yield* Effect.promise(() =>
            killer.query(
              `SELECT (SELECT count(*) FROM ${schema}.events)::int AS events, (SELECT count(*) FROM ${schema}.streams)::int AS streams`
            )
          )
          expect(rows[0]).toEqual({ events: 0, streams: 0 })
          expect(yield* es.streamVersion("victim")).toBe(0)
          // The retry the error invites succeeds, on a fresh connection.
          const retried = yield* es.append("victim", ExpectedVersion.noStream, batch)
          expect(retried).toMatchObject({ firstVersion: 1, lastVersion: 10, duplicate: false })
          expect((yield* es.readStream("victim")).map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId))
        })
      )
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined)
      await blocker.end().catch(() => undefined)
      await killer.end()
    }
  })

  it("migrations are idempotent, run twice and concurrently", () => {
    const schema = scratchSchema()
    return runWith(
      dropSchemaOnRelease(schema).pipe(Layer.provideMerge(pgLayer())),
      Effect.gen(function* () {
        const reports = yield* Effect.forEach(range(8), () => PgMigrations.run({ schema }), {
          concurrency: "unbounded"
        })
        const all = PgMigrations.migrations.map((m) => m.version)
        expect(reports.filter((r) => r.applied.length > 0).map((r) => r.applied)).toEqual([all])
        expect((yield* PgMigrations.run({ schema })).applied).toEqual([])
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql.unsafe<{ version: number }>(`SELECT version FROM ${schema}.migrations`)
        expect(rows.map((r) => r.version).sort((a, b) => a - b)).toEqual(all)
        // Stores starting concurrently on the same schema all come up.
        yield* Effect.forEach(range(4), () => Effect.scoped(PgEventStore.make({ schema })), {
          concurrency: "unbounded"
        })
      })
    )
  })

  it("refuses a schema name that is not a plain identifier", () =>
    runWith(
      pgLayer(2),
      Effect.gen(function* () {
        for (const schema of ["x; drop table y", "Upper", "1abc", "pg_catalog", "a".repeat(58), ""]) {
          const error = yield* failureOf(PgEventStore.migrate({ schema }))
          expect(error).toMatchObject({ _tag: "StorageFailure", retryable: false })
        }
      })
    ))

  it("maps a server error that a retry cannot fix to a non-retryable StorageFailure", () =>
    runWith(
      scratchStore({ migrate: false }),
      Effect.gen(function* () {
        const es = yield* EventStore.EventStore
        const error = yield* failureOf(es.append("s", ExpectedVersion.any, [newEvent({})]))
        expect(error).toMatchObject({ _tag: "StorageFailure", retryable: false })
      })
    ))

  it("waitForEvents wakes on NOTIFY, also for an append made by another process", async () => {
    const schema = scratchSchema()
    const other = await rawClient()
    try {
      await runWith(
        scratchStore({ pollInterval: "30 seconds" }, schema),
        Effect.gen(function* () {
          const es = yield* EventStore.EventStore
          const first = yield* es.append("s", ExpectedVersion.any, [newEvent({})])
          yield* es.waitForEvents(Checkpoint.beginning)
          const waiter = yield* Effect.forkChild(es.waitForEvents(first.position))
          yield* Effect.sleep(100)
          const started = Date.now()
          const event = newEvent({ from: "elsewhere" })
          yield* Effect.promise(() =>
            other.query(`SELECT * FROM ${schema}.append('s', 0, 0, $1, $2, $3, $4, $5, now(), false)`, [
              [event.eventId],
              [event.eventType],
              [1],
              ["{}"],
              ["{}"]
            ])
          )
          // Another process announces its append after commit, as the store itself does.
          yield* Effect.promise(() => other.query("SELECT pg_notify($1, '')", [`vouch_${schema}`]))
          yield* Fiber.join(waiter).pipe(Effect.timeout(3_000))
          expect(Date.now() - started).toBeLessThan(3_000)

          // A second instance of the store (a pool of its own) wakes this one's waiters.
          const latest = yield* es.readAll({ after: first.position })
          const position = (latest[latest.length - 1] as Event.RecordedEvent).globalPosition
          const sleeper = yield* Effect.forkChild(es.waitForEvents(position))
          yield* Effect.sleep(100)
          yield* Effect.scoped(
            Effect.gen(function* () {
              const elsewhere = yield* PgEventStore.make({ schema, migrate: false })
              yield* elsewhere.eventStore.append("s", ExpectedVersion.any, [newEvent({ from: "instance 2" })])
              yield* Fiber.join(sleeper).pipe(Effect.timeout(3_000))
            }).pipe(Effect.provide(pgLayer(2)))
          )
        })
      )
    } finally {
      await other.end()
    }
  })

  it("saves a checkpoint (and appends) inside the caller's transaction: committed or rolled back with its writes", () => {
    const schema = scratchSchema()
    return runWith(
      scratchStore({}, schema),
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const es = yield* EventStore.EventStore
        const appended = yield* es.append("s", ExpectedVersion.any, [newEvent({})])
        yield* sql.unsafe(`CREATE TABLE ${schema}.projection_rows (id text PRIMARY KEY)`)
        const write = (id: string) =>
          Effect.gen(function* () {
            yield* sql.unsafe(`INSERT INTO ${schema}.projection_rows (id) VALUES ($1)`, [id])
            // An append joins the caller's transaction too.
            yield* es.append(`joined-${id}`, ExpectedVersion.noStream, [newEvent({ id })])
            yield* PgEventStore.saveCheckpoint("rows", { position: appended.position, version: 1 }, { schema })
          })
        const failed = yield* Effect.exit(
          sql.withTransaction(write("a").pipe(Effect.andThen(Effect.fail("projection failed"))))
        )
        expect(Exit.isFailure(failed)).toBe(true)
        expect(yield* sql.unsafe(`SELECT id FROM ${schema}.projection_rows`)).toEqual([])
        expect(Option.isNone(yield* PgEventStore.loadCheckpoint("rows", { schema }))).toBe(true)
        expect(yield* es.streamVersion("joined-a")).toBe(0)

        yield* sql.withTransaction(write("b"))
        expect(yield* sql.unsafe(`SELECT id FROM ${schema}.projection_rows`)).toEqual([{ id: "b" }])
        expect(yield* CheckpointStore.load("rows")).toEqual(Option.some({ position: appended.position, version: 1 }))
        expect(yield* es.streamVersion("joined-b")).toBe(1)
      })
    )
  })

  it("inside the caller's transaction, a re-append returns the original result and a stolen id fails typed, without aborting the transaction", () =>
    runWith(
      scratchStore(),
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const es = yield* EventStore.EventStore
        const elsewhere = newEvent({ elsewhere: true })
        yield* es.append("tx-other", ExpectedVersion.noStream, [elsewhere])
        const events = [newEvent({ n: 1 }), newEvent({ n: 2 })]
        const [first, again, stolen, after] = yield* sql.withTransaction(
          Effect.gen(function* () {
            const first = yield* es.append("tx-retry", ExpectedVersion.noStream, events)
            const again = yield* es.append("tx-retry", ExpectedVersion.noStream, events)
            const stolen = yield* failureOf(es.append("tx-retry", ExpectedVersion.exact(2), [elsewhere]))
            // The transaction is still usable: a later append in it succeeds and commits with it.
            const after = yield* es.append("tx-retry", ExpectedVersion.exact(2), [newEvent({ n: 3 })])
            return [first, again, stolen, after] as const
          })
        )
        expect(again).toEqual({ ...first, duplicate: true })
        expect(stolen).toMatchObject({ _tag: "DuplicateEventId", existingStreamId: "tx-other" })
        expect(after.lastVersion).toBe(3)
        expect(yield* es.streamVersion("tx-retry")).toBe(3)
      })
    ))

  it("forward reads issued together are served by shared queries, each exactly as if read alone", () =>
    runWith(
      scratchStore(),
      Effect.gen(function* () {
        const es = yield* EventStore.EventStore
        const sql = yield* SqlClient.SqlClient
        yield* Effect.forEach(
          range(40),
          (s) =>
            Effect.forEach(range(1 + (s % 4)), (b) =>
              es.append(
                `r${s}`,
                ExpectedVersion.any,
                range(1 + ((s + b) % 5)).map((n) => newEvent({ s, b, n }))
              )
            ),
          { concurrency: 8 }
        )
        const reads = range(90).map((i) => ({
          stream: `r${i % 45}`, // r40..r44 do not exist
          options: i % 3 === 0 ? {} : i % 3 === 1 ? { from: 2 } : { from: 1 + (i % 4), limit: 1 + (i % 3) }
        }))
        const alone = yield* Effect.forEach(reads, (read) => es.readStream(read.stream, read.options))
        const together = yield* Effect.forEach(reads, (read) => es.readStream(read.stream, read.options), {
          concurrency: "unbounded"
        })
        expect(together).toEqual(alone)
        expect(alone.some((events) => events.length > 1)).toBe(true)
        expect(alone.slice(40, 45).every((events) => events.length === 0)).toBe(true)
        for (const [i, events] of alone.entries()) {
          for (const event of events) expect(event.streamId).toBe(reads[i]?.stream)
        }
        // Inside a transaction, a read sees the transaction's own uncommitted append.
        const inside = yield* sql.withTransaction(
          Effect.gen(function* () {
            yield* es.append("r0", ExpectedVersion.any, [newEvent({ inside: true })])
            return yield* Effect.forEach(range(3), () => es.readStream("r0"), { concurrency: "unbounded" })
          })
        )
        for (const events of inside) expect(events.length).toBe((alone[0]?.length ?? 0) + 1)
      })
    ))

  it("appends issued together share grouped statements, each with its own result or error", () =>
    runWith(
      scratchStore(),
      Effect.gen(function* () {
        const es = yield* EventStore.EventStore
        const taken = newEvent({ taken: true })
        yield* es.append("taken", ExpectedVersion.noStream, [taken])
        const replayed = [newEvent({ replayed: 1 }), newEvent({ replayed: 2 })]
        const original = yield* es.append("replayed", ExpectedVersion.noStream, replayed)
        yield* es.append("busy", ExpectedVersion.noStream, [newEvent({}), newEvent({})])
        // Started together: appends to one stream (applied in the order given), one that conflicts,
        // and appends that succeed. None of them trips a unique index, so groups commit as such.
        const calls = [
          ...range(3).map((i) => () => es.append("shared", ExpectedVersion.exact(i), [newEvent({ i })])),
          () => es.append("busy", ExpectedVersion.exact(1), [newEvent({ late: true })]),
          ...range(6).map((i) => () => es.append(`g${i}`, ExpectedVersion.noStream, [newEvent({ i }), newEvent({ i })]))
        ]
        const exits = yield* Effect.forEach(calls, (call) => Effect.exit(call()), { concurrency: "unbounded" })
        const outcome = (i: number) => {
          const exit = exits[i] as Exit.Exit<EventStore.AppendResult, unknown>
          return Exit.isSuccess(exit) ? exit.value : Option.getOrThrow(Cause.findErrorOption(exit.cause))
        }
        for (const i of range(3)) expect(outcome(i)).toMatchObject({ firstVersion: i + 1, duplicate: false })
        expect(outcome(3)).toMatchObject({ _tag: "ConcurrencyConflict", streamId: "busy", actual: 2 })
        for (const i of range(6)) {
          expect(outcome(4 + i)).toMatchObject({ streamId: `g${i}`, firstVersion: 1, lastVersion: 2, duplicate: false })
        }
        // Appends that repeat an earlier one and reuse an id stored elsewhere fail their group's
        // statement; each is then made on its own, as are the appends that shared it.
        const [again, stolen, beside] = yield* Effect.all(
          [
            Effect.exit(es.append("replayed", ExpectedVersion.noStream, replayed)),
            Effect.exit(es.append("thief", ExpectedVersion.any, [taken])),
            Effect.exit(es.append("beside", ExpectedVersion.noStream, [newEvent({})]))
          ],
          { concurrency: "unbounded" }
        )
        expect(again).toEqual(Exit.succeed({ ...original, duplicate: true }))
        expect(Exit.isFailure(stolen) && Option.getOrThrow(Cause.findErrorOption(stolen.cause))).toMatchObject({
          _tag: "DuplicateEventId",
          eventId: taken.eventId,
          existingStreamId: "taken"
        })
        expect(Exit.isSuccess(beside) && beside.value.lastVersion).toBe(1)
        // The same append twice in one group: the second sees the first, as it would on its own.
        const twice = [newEvent({ twice: 1 }), newEvent({ twice: 2 })]
        const [, first, second] = yield* Effect.all(
          [
            es.append("filler", ExpectedVersion.any, [newEvent({})]),
            es.append("shared", ExpectedVersion.exact(3), twice),
            es.append("shared", ExpectedVersion.exact(3), twice)
          ],
          { concurrency: "unbounded" }
        )
        expect(first).toMatchObject({ firstVersion: 4, lastVersion: 5, duplicate: false })
        expect(second).toEqual({ ...first, duplicate: true })
        // Every stream holds exactly what its successful appends reported.
        for (const i of range(6)) expect((yield* es.readStream(`g${i}`)).map((e) => e.data)).toEqual([{ i }, { i }])
        expect((yield* es.readStream("shared")).map((e) => e.data)).toEqual([
          ...range(3).map((i) => ({ i })),
          { twice: 1 },
          { twice: 2 }
        ])
        expect(yield* es.streamVersion("busy")).toBe(2)
        expect(yield* es.streamVersion("thief")).toBe(0)
        // They did share transactions (their positions share transaction ids).
        const transactions = new Set(
          range(10)
            .filter((i) => i !== 3)
            .map((i) => (outcome(i) as EventStore.AppendResult).position.split(".")[0])
        )
        expect(transactions.size).toBeLessThan(9)
      })
    ))

  it("an append blocked by another transaction does not hold back the appends grouped with it", async () => {
    const schema = scratchSchema()
    const blocker = await rawClient()
    try {
      await runWith(
        scratchStore({}, schema),
        Effect.gen(function* () {
          const es = yield* EventStore.EventStore
          yield* es.append("locked", ExpectedVersion.noStream, [newEvent({})])
          yield* Effect.promise(async () => {
            await blocker.query("BEGIN")
            await blocker.query(`SELECT version FROM ${schema}.streams WHERE stream_id = 'locked' FOR UPDATE`)
          })
          const blocked = yield* Effect.forkChild(
            Effect.forEach(
              ["free0", "locked", "free1", "free2"],
              (stream) => es.append(stream, ExpectedVersion.any, [newEvent({ stream })]),
              { concurrency: "unbounded" }
            )
          )
          // The free streams are written while the blocker still holds the locked one.
          for (;;) {
            const versions = yield* Effect.forEach(["free0", "free1", "free2"], (s) => es.streamVersion(s))
            if (versions.every((v) => v === 1)) break
            yield* Effect.sleep(10)
          }
          expect(yield* es.streamVersion("locked")).toBe(1)
          yield* Effect.promise(() => blocker.query("COMMIT"))
          const results = yield* Fiber.join(blocked)
          expect(results.map((r) => r.lastVersion)).toEqual([1, 2, 1, 1])
        })
      )
    } finally {
      await blocker.end()
    }
  })

  it("an append whose caller gives up while it waits for a shared statement is never made", () =>
    runWith(
      scratchStore(),
      Effect.gen(function* () {
        const es = yield* EventStore.EventStore
        const first = yield* Effect.forkChild(es.append("under-way", ExpectedVersion.noStream, [newEvent({})]))
        const queued = yield* Effect.forkChild(es.append("given-up", ExpectedVersion.noStream, [newEvent({})]))
        yield* Effect.yieldNow
        yield* Fiber.interrupt(queued)
        yield* Fiber.join(first)
        // Later appends are still served, alone and together.
        yield* Effect.forEach(range(3), (i) => es.append(`after${i}`, ExpectedVersion.noStream, [newEvent({ i })]), {
          concurrency: "unbounded"
        })
        expect(yield* es.streamVersion("given-up")).toBe(0)
        expect(yield* Effect.forEach(range(3), (i) => es.streamVersion(`after${i}`))).toEqual([1, 1, 1])
      })
    ))

  it("a schema made by an earlier version is brought up to date", () => {
    const schema = scratchSchema()
    return runWith(
      dropSchemaOnRelease(schema).pipe(Layer.provideMerge(pgLayer())),
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* PgMigrations.run({ schema })
        // Roll the schema back to version 1, as an earlier release left it.
        yield* sql.unsafe(`DROP FUNCTION ${schema}.append_group`)
        yield* sql.unsafe(`DELETE FROM ${schema}.migrations WHERE version > 1`)
        expect((yield* PgMigrations.run({ schema })).applied).toEqual(
          PgMigrations.migrations.map((m) => m.version).filter((v) => v > 1)
        )
        const appended = yield* Effect.scoped(
          Effect.gen(function* () {
            const { eventStore } = yield* PgEventStore.make({ schema })
            return yield* Effect.forEach(
              range(4),
              (i) => eventStore.append(`u${i}`, ExpectedVersion.noStream, [newEvent({ i })]),
              {
                concurrency: "unbounded"
              }
            )
          })
        )
        expect(appended.map((r) => r.lastVersion)).toEqual([1, 1, 1, 1])
      })
    )
  })
})
