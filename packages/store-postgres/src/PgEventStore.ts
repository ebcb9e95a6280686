/**
 * The production `EventStore` on PostgreSQL, built on the Effect SQL stack. The layer needs a
 * `SqlClient` (from `@effect/sql-pg`), so applications configure the connection pool as they
 * already do; it migrates its schema at start-up and provides `EventStore` and `CheckpointStore`.
 *
 * Every append is one call of the `append` function the migration installs, which locks the
 * stream's row, applies the idempotency rule and the expected version, and inserts the batch in the
 * caller's transaction (or its own). Appends issued together outside a transaction share one call of
 * `append_group` (one round trip, one commit), which runs each exactly as `append` would. Unique
 * constraints on `(stream_id, version)` and `event_id` stand behind them.
 *
 * The global order is `(tx_id, seq)`: the writing transaction's 64-bit id, then a sequence. A
 * reader only reads events whose transaction id is below the oldest transaction still running
 * (`pg_snapshot_xmin`), so an event that commits late can never land behind a position a reader
 * has already passed. The price: one long-running writing transaction anywhere in the cluster holds
 * every reader back until it ends (see `readerLag`).
 */

import type { PgClient } from "@effect/sql-pg/PgClient"
import * as PgTypes from "@effect/sql-pg/PgTypes"
import {
  Checkpoint,
  CheckpointStore,
  ConcurrencyConflict,
  DuplicateEventId,
  type Event,
  EventStore,
  type ExpectedVersion,
  InvalidCheckpoint,
  StorageFailure,
  type StreamId
} from "@vouch/core"
import { Clock, Context, Deferred, Duration, Effect, Exit, Layer, Option, Queue, Result, type Scope } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SchemaName from "./internal/schemaName.ts"
import { orStorageFailure, sqlState, toStorageFailure } from "./internal/sqlFailure.ts"
import * as StatementBatcher from "./internal/statementBatcher.ts"
import * as PgMigrations from "./PgMigrations.ts"

/** How to set the store up. */
export interface Options {
  /** The schema holding the store's tables (default `vouch`); validated as an identifier. */
  readonly schema?: string | undefined
  /** Run the migrations when the layer is built (default true). */
  readonly migrate?: boolean | undefined
  /**
   * How often `waitForEvents` looks again without a notification (default 1 second): an older
   * transaction that commits without appending (or a lost LISTEN connection) wakes nobody.
   */
  readonly pollInterval?: Duration.Input | undefined
}

/** The two services this adapter provides. */
export interface PgStores {
  readonly eventStore: EventStore.Service
  readonly checkpointStore: CheckpointStore.Service
}

/** How far readers of the global log are held back by transactions still in flight. */
export interface ReaderLag {
  /** Committed events readers cannot see yet, because an older writing transaction is still open. */
  readonly heldBackEvents: number
  /** Age of the oldest open writing transaction in the cluster, in milliseconds (0 when none). */
  readonly oldestWriterMs: number
  /** How many transaction ids separate the oldest open writer from the newest (0 when none). */
  readonly inFlightXidSpan: number
}

/** Brings the store's schema up to date; the layer does this at start-up unless told not to. */
export const migrate = PgMigrations.run

const int8 = (n: number | bigint) => PgTypes.int8(typeof n === "bigint" ? n : BigInt(n))
const int4 = (n: number) => PgTypes.int4(n)
const textArray = (values: ReadonlyArray<string>) => Result.getOrThrow(PgTypes.array(values, PgTypes.OID.text))
const int4Array = (values: ReadonlyArray<number>) => Result.getOrThrow(PgTypes.array(values, PgTypes.OID.int4))
const int8Array = (values: ReadonlyArray<bigint | null>) => Result.getOrThrow(PgTypes.array(values, PgTypes.OID.int8))
const timestamptzArray = (millis: ReadonlyArray<number>) =>
  Result.getOrThrow(PgTypes.array(millis, PgTypes.OID.timestamptz))
const maxInt4 = 2147483647
const maxInt8 = 2n ** 63n - 1n

const schemaOf = (options: { readonly schema?: string | undefined }) =>
  Result.match(SchemaName.validate(options.schema ?? SchemaName.defaultSchema), {
    onFailure: (failure) => Effect.fail(failure),
    onSuccess: (schema) => Effect.succeed(schema)
  })

const zeros = "0000000000000000"
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER)

/** A non-negative bigint as 16 hex digits; through a number when it fits, which is cheaper. */
const hex16 = (n: bigint): string => {
  const digits = n <= maxSafe ? Number(n).toString(16) : n.toString(16)
  return zeros.slice(digits.length) + digits
}

// The events of one append share their `tx_id`, and reads return them side by side: the last
// transaction's half of the position is kept, so most rows format only their `seq`.
let lastTx = -1n
let lastTxPrefix = ""

/**
 * The position of a row from its `tx_id` and `seq`: `Checkpoint.fromParts([tx, seq])` without its
 * range checks, which columns of non-negative bigints cannot fail. Every event read builds one.
 */
const checkpointOf = (tx: bigint, seq: bigint): Checkpoint.Checkpoint => {
  if (tx !== lastTx) {
    lastTxPrefix = `${hex16(tx)}.`
    lastTx = tx
  }
  return (lastTxPrefix + hex16(seq)) as Checkpoint.Checkpoint
}

/** The position of a row, from its `tx_id` and `seq` (null for an empty store). */
const positionOf = (tx: unknown, seq: unknown): Checkpoint.Checkpoint =>
  tx === null || tx === undefined ? Checkpoint.beginning : checkpointOf(tx as bigint, seq as bigint)

/** Reads a checkpoint into the `(tx_id, seq)` pair, refusing ones this store cannot have made. */
const partsOf = (after: Checkpoint.Checkpoint): Result.Result<readonly [bigint, bigint], InvalidCheckpoint> =>
  Result.flatMap(Checkpoint.toParts(after, 2), (parts) => {
    const tx = parts[0] as bigint
    const seq = parts[1] as bigint
    return tx > maxInt8 || seq > maxInt8
      ? Result.fail(new InvalidCheckpoint({ checkpoint: after.slice(0, 100), reason: "part out of range" }))
      : Result.succeed([tx, seq] as const)
  })

const eventColumns = "tx_id, seq, stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at"

/** The columns of a stream read: the stream is the one asked for, so it is not sent back. */
const streamEventColumns = "tx_id, seq, version, event_id, event_type, schema_version, data, metadata, recorded_at"

/** An event of `streamId` from a row of `streamEventColumns` (starting at column `o`). */
const toStreamRecorded = (streamId: StreamId.StreamId, row: ReadonlyArray<unknown>, o = 0): Event.RecordedEvent => ({
  eventId: row[o + 3] as string,
  eventType: row[o + 4] as string,
  schemaVersion: row[o + 5] as number,
  data: row[o + 6] as Event.RecordedEvent["data"],
  metadata: row[o + 7] as Event.EventMetadata,
  streamId,
  streamVersion: row[o + 2] as number,
  globalPosition: checkpointOf(row[o] as bigint, row[o + 1] as bigint),
  recordedAt: (row[o + 8] as Date).getTime()
})

const toRecorded = (row: ReadonlyArray<unknown>): Event.RecordedEvent => ({
  eventId: row[4] as string,
  eventType: row[5] as string,
  schemaVersion: row[6] as number,
  data: row[7] as Event.RecordedEvent["data"],
  metadata: row[8] as Event.EventMetadata,
  streamId: row[2] as StreamId.StreamId,
  streamVersion: row[3] as number,
  globalPosition: checkpointOf(row[0] as bigint, row[1] as bigint),
  recordedAt: (row[9] as Date).getTime()
})

const expectationCode = (expected: ExpectedVersion.ExpectedVersion): readonly [number, number] => {
  switch (expected._tag) {
    case "Any":
      return [0, 0]
    case "NoStream":
      return [1, 0]
    case "StreamExists":
      return [2, 0]
    case "Exact":
      // A version no stream can reach never matches; the conflict still reports the real one.
      return [3, expected.version > maxInt4 ? -1 : expected.version]
  }
}

/** How long appends are gathered before one NOTIFY announces them all. */
const notifyWindow = Duration.millis(2)

/**
 * The most forward stream reads one batched query serves. Small on purpose: 8 concurrent reads make
 * two queries in flight, so decoding one result overlaps producing the next (measured: one query
 * for all 8 left the client idle a third of the time).
 */
const maxReadBatch = 4

/**
 * The most appends one grouped statement (one transaction) carries. Measured with 8 writers of 10
 * events: groups of 8 cost the client 47-51 and the server 27-32 µs of CPU per event, groups of 4
 * 52-57 and 32-38, appends one by one 83-87 and 54-63.
 */
const maxAppendGroup = 8

/** A forward stream read waiting for the next batched query. */
interface PendingRead {
  readonly streamId: StreamId.StreamId
  readonly from: number
  readonly limit: number
}

/** An append waiting for the next grouped statement. */
interface PendingAppend {
  readonly request: Event.PreparedAppend
  readonly expected: ExpectedVersion.ExpectedVersion
  readonly now: number
}

/** Puts each group of a batched read in version order (rows nearly always arrive that way). */
const inVersionOrder = (events: Array<Event.RecordedEvent>): Array<Event.RecordedEvent> => {
  for (let i = 1; i < events.length; i++) {
    if ((events[i] as Event.RecordedEvent).streamVersion < (events[i - 1] as Event.RecordedEvent).streamVersion) {
      return events.sort((a, b) => a.streamVersion - b.streamVersion)
    }
  }
  return events
}

/** What an append can fail with. */
type AppendError = ConcurrencyConflict | DuplicateEventId | StorageFailure

/**
 * An append's outcome from the row the append functions return for it: `status, first_version,
 * last_version, tx_id, seq, dup_id, dup_stream, dup_version`, starting at column `o`.
 */
const outcomeOf = (
  pending: PendingAppend,
  row: ReadonlyArray<unknown> | undefined,
  o: number
): Exit.Exit<EventStore.AppendResult, AppendError> => {
  const streamId = pending.request.streamId
  if (row === undefined) return Exit.fail(new StorageFailure({ reason: "append returned no row", retryable: false }))
  switch (row[o] as number) {
    case 0:
    case 1:
      return Exit.succeed({
        streamId,
        firstVersion: row[o + 1] as number,
        lastVersion: row[o + 2] as number,
        position: positionOf(row[o + 3], row[o + 4]),
        duplicate: row[o] === 1
      })
    case 2:
      return Exit.fail(new ConcurrencyConflict({ streamId, expected: pending.expected, actual: row[o + 2] as number }))
    default:
      return Exit.fail(
        new DuplicateEventId({
          streamId,
          eventId: row[o + 5] as string,
          existingStreamId: row[o + 6] as string,
          existingVersion: row[o + 7] as number
        })
      )
  }
}

/** How often an append is retried after losing a race the database settled with a unique index. */
const raceRetries = 3

/**
 * Builds the services on the `SqlClient` in context. Runs the migrations first unless told not to.
 * The scope owns the LISTEN connection, opened on the first `waitForEvents`.
 */
export const make = (
  options: Options = {}
): Effect.Effect<PgStores, SqlError | StorageFailure, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function* () {
    const s = yield* schemaOf(options)
    const sql = yield* SqlClient.SqlClient
    if (options.migrate !== false) yield* PgMigrations.run({ schema: s })
    const pollInterval = Duration.fromInputUnsafe(options.pollInterval ?? Duration.seconds(1))
    const scope = yield* Effect.scope

    const appendSql = `SELECT status, first_version, last_version, tx_id, seq, dup_id, dup_stream, dup_version FROM ${s}.append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
    const appendGroupSql = `SELECT member, status, first_version, last_version, tx_id, seq, dup_id, dup_stream, dup_version FROM ${s}.append_group($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
    const readForwardsSql = `SELECT ${streamEventColumns} FROM ${s}.events WHERE stream_id = $1 AND version >= $2 ORDER BY version LIMIT $3`
    const readBackwardsSql = `SELECT ${streamEventColumns} FROM ${s}.events WHERE stream_id = $1 AND version <= $2 ORDER BY version DESC LIMIT $3`
    const visible = `tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`
    const readAllSql = `SELECT ${eventColumns} FROM ${s}.events WHERE (tx_id, seq) > ($1, $2) AND ${visible} ORDER BY tx_id, seq LIMIT $3`
    const hasEventsSql = `SELECT EXISTS (SELECT 1 FROM ${s}.events WHERE (tx_id, seq) > ($1, $2) AND ${visible})`
    const versionSql = `SELECT version FROM ${s}.streams WHERE stream_id = $1`
    // Several forward reads in one statement: each is the same index range scan as a single read.
    const readBatchSql = `SELECT r.i::integer, ev.tx_id, ev.seq, ev.version, ev.event_id, ev.event_type, ev.schema_version, ev.data, ev.metadata, ev.recorded_at
      FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(stream_id, from_version, max_count, i)
      CROSS JOIN LATERAL (
        SELECT ${streamEventColumns} FROM ${s}.events e
        WHERE e.stream_id = r.stream_id AND e.version >= r.from_version ORDER BY e.version LIMIT r.max_count
      ) ev`

    // --- waiting for events: LISTEN/NOTIFY when the client is a PgClient, polling always --------
    const waiters = new Set<Deferred.Deferred<void>>()
    const wakeAll = () => {
      if (waiters.size === 0) return
      const woken = [...waiters]
      waiters.clear()
      for (const waiter of woken) Deferred.doneUnsafe(waiter, Effect.void)
    }
    // --- announcing appends ------------------------------------------------------------------
    // Appends are announced after they commit, out of band: a NOTIFY inside the appending
    // transaction would serialise all appending commits on the notification queue's lock. One
    // NOTIFY is in flight at a time; appends meanwhile fold into the next one. Waiters in this
    // process are woken at once, without a round trip.
    const channel = SchemaName.channel(s)
    const notifySql = "SELECT pg_notify($1, '')"
    let notifying = false
    let notifyAgain = false
    const notifyLoop = Effect.gen(function* () {
      for (;;) {
        // A short pause lets a burst of appends share one NOTIFY (at most ~500 a second).
        yield* Effect.sleep(notifyWindow)
        notifyAgain = false
        yield* sql.unsafe(notifySql, [channel]).values.pipe(Effect.ignore)
        if (!notifyAgain) {
          notifying = false
          return
        }
      }
    })
    const announce = Effect.suspend(() => {
      wakeAll()
      if (notifying) {
        notifyAgain = true
        return Effect.void
      }
      notifying = true
      return Effect.asVoid(Effect.forkIn(notifyLoop, scope))
    })
    // Inside the caller's transaction the append is not committed yet: notify in the transaction,
    // so the notification is delivered at commit (and not at all on rollback).
    const announceIn = Effect.flatMap(Effect.serviceOption(sql.transactionService), (transaction) =>
      Option.isSome(transaction) ? sql.unsafe(notifySql, [channel]).values.pipe(Effect.ignore) : announce
    )

    // What a call waiting for a shared statement fails with if the store closes first.
    const closed = () => new StorageFailure({ reason: "the store was closed during the call", retryable: true })

    /** The event columns of `appends`, one after another, as the arrays the append functions take. */
    const columnsOf = (appends: ReadonlyArray<PendingAppend>) => {
      let total = 0
      for (const pending of appends) total += pending.request.events.length
      const ids = new Array<string>(total)
      const types = new Array<string>(total)
      const versions = new Array<number>(total)
      const data = new Array<string>(total)
      const metadata = new Array<string>(total)
      let at = 0
      for (const pending of appends) {
        for (const event of pending.request.events) {
          ids[at] = event.eventId
          types[at] = event.eventType
          versions[at] = event.schemaVersion
          data[at] = JSON.stringify(event.data)
          metadata[at] = JSON.stringify(event.metadata)
          at++
        }
      }
      return [textArray(ids), textArray(types), int4Array(versions), textArray(data), textArray(metadata)] as const
    }

    const appendOnce = (pending: PendingAppend, careful: boolean) => {
      const [kind, version] = expectationCode(pending.expected)
      return sql.unsafe(appendSql, [
        pending.request.streamId,
        int4(kind),
        int4(version),
        ...columnsOf([pending]),
        PgTypes.timestamptz(pending.now),
        PgTypes.bool(careful)
      ]).values
    }

    /**
     * One append in a statement of its own: the fast path, then the careful one if a unique index
     * stopped it. Inside the caller's transaction a unique violation would abort the whole
     * transaction, so there the careful path, which checks the ids first, runs from the start.
     */
    const appendAlone = (
      pending: PendingAppend,
      inTransaction: boolean
    ): Effect.Effect<EventStore.AppendResult, AppendError> => {
      const attempt = (n: number): Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, StorageFailure> =>
        Effect.catchTag(appendOnce(pending, inTransaction || n > 0), "SqlError", (error) =>
          // The unique index on event_id stopped the fast path (a re-append, or the same ids
          // sent to two streams at once) and the statement rolled back: call again carefully,
          // so the function's idempotency rule gives the verdict.
          sqlState(error) === "23505" && n < raceRetries && !inTransaction
            ? attempt(n + 1)
            : Effect.fail(toStorageFailure(error, "append"))
        )
      return Effect.flatMap(attempt(0), (rows) => outcomeOf(pending, rows[0], 0))
    }

    // --- appends outside a transaction, grouped ------------------------------------------------
    // Appends issued together outside a transaction (writers on their own streams) share one
    // statement of the `append_group` function: one round trip and one commit for up to
    // `maxAppendGroup` appends, each still checked and applied exactly as on its own. If the
    // statement fails (a unique index stopped one of them, one waited over 10 ms for a lock, a lost
    // connection), nothing of it was committed, and each append is made again on its own, to meet
    // its own fate.
    const serveAppends = (
      batch: ReadonlyArray<PendingAppend>
    ): Effect.Effect<ReadonlyArray<Exit.Exit<EventStore.AppendResult, AppendError>>> => {
      const n = batch.length
      if (n === 1) return Effect.map(Effect.exit(appendAlone(batch[0] as PendingAppend, false)), (exit) => [exit])
      const alone = Effect.forEach(batch, (pending) => Effect.exit(appendAlone(pending, false)), {
        concurrency: "unbounded"
      })
      const streams = new Array<string>(n)
      const kinds = new Array<number>(n)
      const expectations = new Array<number>(n)
      const counts = new Array<number>(n)
      const recordedAt = new Array<number>(n)
      for (let i = 0; i < n; i++) {
        const pending = batch[i] as PendingAppend
        const [kind, version] = expectationCode(pending.expected)
        streams[i] = pending.request.streamId
        kinds[i] = kind
        expectations[i] = version
        counts[i] = pending.request.events.length
        recordedAt[i] = pending.now
      }
      const grouped = sql.unsafe(appendGroupSql, [
        textArray(streams),
        int4Array(kinds),
        int4Array(expectations),
        int4Array(counts),
        ...columnsOf(batch),
        timestamptzArray(recordedAt)
      ]).values
      return Effect.matchEffect(grouped, {
        onFailure: () => alone,
        onSuccess: (rows) => {
          const byMember = new Array<ReadonlyArray<unknown> | undefined>(n)
          for (const row of rows) byMember[(row[0] as number) - 1] = row
          return Effect.succeed(batch.map((pending, i) => outcomeOf(pending, byMember[i], 1)))
        }
      })
    }
    const appendGrouped = StatementBatcher.make({ maxBatch: maxAppendGroup, serve: serveAppends, closed, scope })

    const append = (
      request: Event.PreparedAppend,
      expected: ExpectedVersion.ExpectedVersion
    ): Effect.Effect<EventStore.AppendResult, AppendError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const pending: PendingAppend = { request, expected, now }
        const appended =
          request.events.length === 0
            ? appendAlone(pending, false)
            : Effect.flatMap(Effect.serviceOption(sql.transactionService), (transaction) =>
                // Inside the caller's transaction the append must run on its connection.
                Option.isSome(transaction) ? appendAlone(pending, true) : appendGrouped(pending)
              )
        return request.events.length === 0
          ? appended
          : Effect.tap(appended, (result) => (result.duplicate ? Effect.void : announceIn))
      })

    const toStreamEvents = (streamId: StreamId.StreamId) => (rows: ReadonlyArray<ReadonlyArray<unknown>>) => {
      const n = rows.length
      const events = new Array<Event.RecordedEvent>(n)
      for (let i = 0; i < n; i++) events[i] = toStreamRecorded(streamId, rows[i] as ReadonlyArray<unknown>)
      return events
    }

    const readOne = (streamId: StreamId.StreamId, direction: "forwards" | "backwards", from: number, limit: number) =>
      sql
        .unsafe(direction === "forwards" ? readForwardsSql : readBackwardsSql, [
          streamId,
          int8(from),
          limit === Number.POSITIVE_INFINITY ? PgTypes.int8(null) : int8(limit)
        ])
        .values.pipe(Effect.map(toStreamEvents(streamId)), orStorageFailure("readStream"))

    // --- forward stream reads, batched --------------------------------------------------------
    // Forward reads issued together outside a transaction (rehydrating many aggregates at once)
    // share statements (see `statementBatcher`): each statement serves up to `maxReadBatch` reads,
    // each with the same index range scan it makes on its own.
    const serveReads = (
      batch: ReadonlyArray<PendingRead>
    ): Effect.Effect<ReadonlyArray<Exit.Exit<ReadonlyArray<Event.RecordedEvent>, StorageFailure>>> => {
      const n = batch.length
      if (n === 1) {
        const only = batch[0] as PendingRead
        return Effect.map(Effect.exit(readOne(only.streamId, "forwards", only.from, only.limit)), (exit) => [exit])
      }
      const ids = new Array<string>(n)
      const froms = new Array<bigint>(n)
      const limits = new Array<bigint | null>(n)
      for (let i = 0; i < n; i++) {
        const read = batch[i] as PendingRead
        ids[i] = read.streamId
        froms[i] = BigInt(read.from)
        limits[i] = read.limit === Number.POSITIVE_INFINITY ? null : BigInt(read.limit)
      }
      return Effect.map(
        Effect.exit(
          sql
            .unsafe(readBatchSql, [textArray(ids), int8Array(froms), int8Array(limits)])
            .values.pipe(orStorageFailure("readStream"))
        ),
        (exit) => {
          if (Exit.isFailure(exit)) return batch.map(() => Exit.failCause(exit.cause))
          const groups = new Array<Array<Event.RecordedEvent>>(n)
          for (let i = 0; i < n; i++) groups[i] = []
          for (const row of exit.value) {
            const i = (row[0] as number) - 1
            ;(groups[i] as Array<Event.RecordedEvent>).push(
              toStreamRecorded((batch[i] as PendingRead).streamId, row, 1)
            )
          }
          return groups.map((group) => Exit.succeed(inVersionOrder(group)))
        }
      )
    }
    const readBatched = StatementBatcher.make({ maxBatch: maxReadBatch, serve: serveReads, closed, scope })

    const readStream = (
      streamId: StreamId.StreamId,
      read: EventStore.StreamRead
    ): Effect.Effect<ReadonlyArray<Event.RecordedEvent>, StorageFailure> =>
      read.limit === 0
        ? Effect.succeed([])
        : read.direction === "backwards"
          ? readOne(streamId, "backwards", read.from, read.limit)
          : Effect.flatMap(Effect.serviceOption(sql.transactionService), (transaction) =>
              // Inside the caller's transaction the read must run on its connection.
              Option.isSome(transaction)
                ? readOne(streamId, "forwards", read.from, read.limit)
                : readBatched({ streamId, from: read.from, limit: read.limit })
            )

    const readAll = (after: Checkpoint.Checkpoint, limit: number) => {
      const parts = partsOf(after)
      if (Result.isFailure(parts)) return Effect.fail(parts.failure)
      return sql.unsafe(readAllSql, [int8(parts.success[0]), int8(parts.success[1]), int8(limit)]).values.pipe(
        Effect.map((rows) => rows.map(toRecorded)),
        orStorageFailure("readAll")
      )
    }

    const streamVersion = (streamId: StreamId.StreamId) =>
      sql.unsafe(versionSql, [streamId]).values.pipe(
        Effect.map((rows) => (rows[0]?.[0] as number | undefined) ?? 0),
        orStorageFailure("streamVersion")
      )

    const pg = sql as unknown as Partial<PgClient>
    let listening: Deferred.Deferred<void> | undefined
    const startListener = Effect.suspend(() => {
      if (listening !== undefined) return Deferred.await(listening)
      const ready = Deferred.makeUnsafe<void>()
      listening = ready
      if (typeof pg.listen !== "function") {
        Deferred.doneUnsafe(ready, Effect.void)
        return Effect.void
      }
      const listen = pg.listen
      const session = Effect.scoped(
        Effect.gen(function* () {
          const queue = yield* listen(SchemaName.channel(s))
          Deferred.doneUnsafe(ready, Effect.void)
          // Anything may have been appended while the connection was being set up.
          wakeAll()
          for (;;) {
            yield* Queue.takeAll(queue)
            wakeAll()
          }
        })
      )
      // A lost connection is retried after a poll interval; meanwhile waiters poll.
      const loop = session.pipe(
        Effect.catchCause(() => Effect.sync(wakeAll).pipe(Effect.andThen(Effect.sleep(pollInterval)))),
        Effect.forever
      )
      return Effect.forkIn(loop, scope).pipe(
        Effect.andThen(Deferred.await(ready).pipe(Effect.timeoutOption(pollInterval))),
        Effect.asVoid
      )
    })

    const hasEventsAfter = (tx: bigint, seq: bigint) =>
      sql.unsafe(hasEventsSql, [int8(tx), int8(seq)]).values.pipe(Effect.map((rows) => rows[0]?.[0] === true))

    const waitForEvents = (after: Checkpoint.Checkpoint): Effect.Effect<void, InvalidCheckpoint | StorageFailure> => {
      const parts = partsOf(after)
      if (Result.isFailure(parts)) return Effect.fail(parts.failure)
      const [tx, seq] = parts.success
      return Effect.gen(function* () {
        yield* startListener
        for (;;) {
          // Register before looking, so an append between the look and the wait still wakes us.
          const signal = Deferred.makeUnsafe<void>()
          waiters.add(signal)
          const ready = yield* hasEventsAfter(tx, seq).pipe(
            Effect.onError(() => Effect.sync(() => waiters.delete(signal)))
          )
          if (ready) {
            waiters.delete(signal)
            return
          }
          yield* Deferred.await(signal).pipe(
            Effect.timeoutOption(pollInterval),
            Effect.ensuring(Effect.sync(() => waiters.delete(signal)))
          )
        }
      }).pipe(orStorageFailure("waitForEvents"))
    }

    const adapter: EventStore.Adapter = { append, readStream, readAll, streamVersion, waitForEvents }
    const checkpointStore: CheckpointStore.Service = {
      load: (name) => loadCheckpointIn(s, name).pipe(Effect.provideService(SqlClient.SqlClient, sql)),
      save: (name, checkpoint) =>
        saveCheckpointIn(s, name, checkpoint).pipe(Effect.provideService(SqlClient.SqlClient, sql))
    }
    return { eventStore: EventStore.make(adapter), checkpointStore }
  })

/**
 * A layer providing `EventStore` and `CheckpointStore` on the `SqlClient` in context. Given a
 * `PgClient` (as `PgClient.layer` provides), `waitForEvents` uses LISTEN/NOTIFY.
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  EventStore.EventStore | CheckpointStore.CheckpointStore,
  SqlError | StorageFailure,
  SqlClient.SqlClient
> =>
  Layer.effectContext(
    Effect.map(make(options), ({ eventStore, checkpointStore }) =>
      Context.make(EventStore.EventStore, eventStore).pipe(
        Context.add(CheckpointStore.CheckpointStore, checkpointStore)
      )
    )
  )

// --- checkpoints inside the caller's transaction ---------------------------------------------

const loadCheckpointIn = (
  s: string,
  name: string
): Effect.Effect<Option.Option<CheckpointStore.SavedCheckpoint>, StorageFailure, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.unsafe(`SELECT position, version, state FROM ${s}.checkpoints WHERE name = $1`, [name])
      .values
    const row = rows[0]
    if (row === undefined) return Option.none()
    const saved: CheckpointStore.SavedCheckpoint =
      row[2] === null
        ? { position: row[0] as Checkpoint.Checkpoint, version: Number(row[1]) }
        : { position: row[0] as Checkpoint.Checkpoint, version: Number(row[1]), state: row[2] as never }
    return Option.some(saved)
  }).pipe(orStorageFailure("checkpoint load"))

const saveCheckpointIn = (
  s: string,
  name: string,
  checkpoint: CheckpointStore.SavedCheckpoint
): Effect.Effect<void, StorageFailure, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const prepared = CheckpointStore.prepareSave(name, checkpoint)
    if (Result.isFailure(prepared)) {
      return yield* new StorageFailure({ reason: prepared.failure.message, retryable: false })
    }
    const sql = yield* SqlClient.SqlClient
    const saved = prepared.success
    yield* sql.unsafe(
      `INSERT INTO ${s}.checkpoints (name, position, version, state, updated_at) VALUES ($1, $2, $3, $4::json, now())
       ON CONFLICT (name) DO UPDATE
       SET position = excluded.position, version = excluded.version, state = excluded.state, updated_at = excluded.updated_at`,
      [
        name,
        PgTypes.text(saved.position),
        int8(saved.version),
        PgTypes.text(saved.state === undefined ? null : JSON.stringify(saved.state))
      ]
    ).values
  }).pipe(orStorageFailure("checkpoint save"))

/**
 * Saves a checkpoint with the `SqlClient` in context, so that inside `sql.withTransaction` it
 * commits (or rolls back) together with the projection's own writes.
 */
export const saveCheckpoint = (
  name: string,
  checkpoint: CheckpointStore.SavedCheckpoint,
  options: { readonly schema?: string | undefined } = {}
): Effect.Effect<void, StorageFailure, SqlClient.SqlClient> =>
  Effect.flatMap(schemaOf(options), (s) => saveCheckpointIn(s, name, checkpoint))

/** Loads a checkpoint with the `SqlClient` in context (inside the caller's transaction, if any). */
export const loadCheckpoint = (
  name: string,
  options: { readonly schema?: string | undefined } = {}
): Effect.Effect<Option.Option<CheckpointStore.SavedCheckpoint>, StorageFailure, SqlClient.SqlClient> =>
  Effect.flatMap(schemaOf(options), (s) => loadCheckpointIn(s, name))

/**
 * How far readers of the global log are held back right now: committed events they cannot see
 * yet, and the age of the oldest open writing transaction. Worth exporting as a metric; a large
 * value points at a transaction left open somewhere in the cluster.
 */
export const readerLag = (
  options: { readonly schema?: string | undefined } = {}
): Effect.Effect<ReaderLag, StorageFailure, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const s = yield* schemaOf(options)
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.unsafe(
      `WITH snap AS (SELECT pg_current_snapshot() AS snapshot)
       SELECT
         (SELECT count(*) FROM ${s}.events WHERE tx_id >= pg_snapshot_xmin(snap.snapshot)::text::bigint),
         (SELECT coalesce(floor(extract(epoch FROM max(clock_timestamp() - xact_start)) * 1000), 0)::bigint
            FROM pg_stat_activity WHERE backend_xid IS NOT NULL),
         (pg_snapshot_xmax(snap.snapshot)::text::bigint - pg_snapshot_xmin(snap.snapshot)::text::bigint)
       FROM snap`
    ).values
    const row = rows[0] ?? [0n, 0n, 0n]
    return {
      heldBackEvents: Number(row[0]),
      oldestWriterMs: Number(row[1]),
      inFlightXidSpan: Number(row[2])
    }
  }).pipe(orStorageFailure("readerLag"))
