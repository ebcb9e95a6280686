/**
 * Leadership for projections when several instances of an application run: only the instance
 * holding a projection's PostgreSQL session advisory lock runs it. The lock lives on a connection
 * reserved for it, so it is released the moment that session ends; a leader whose process dies, or
 * whose backend is terminated, loses it and another instance, trying every `retryInterval`, takes
 * over and resumes from the saved checkpoint.
 *
 * A leader notices a lost lock by checking its connection every `checkInterval` and then stops
 * its work. Until it notices, the old and the new leader may both run for up to that long, so
 * projections should save their checkpoint in the same transaction as their writes
 * (`PgEventStore.saveCheckpoint`) and write idempotently.
 */
import type { StorageFailure } from "@vouch/core"
import { Duration, Effect, Option, Schema, type Scope } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import type { Connection } from "effect/sql/SqlConnection"
import type { SqlError } from "effect/sql/SqlError"
import * as SchemaName from "./internal/schemaName.ts"
import { orStorageFailure } from "./internal/sqlFailure.ts"

/** How to contend for leadership. */
export interface Options {
  /** The store's schema (default `vouch`): leadership is per schema and projection name. */
  readonly schema?: string | undefined
  /** How long a follower waits before trying for the lock again (default 1 second). */
  readonly retryInterval?: Duration.Input | undefined
  /** How often the leader checks that its lock's session is alive (default 1 second). */
  readonly checkInterval?: Duration.Input | undefined
}

/** The leader's lock session ended: the work was stopped and leadership is being sought again. */
export class LeadershipLost extends Schema.TaggedError<LeadershipLost>()("LeadershipLost", {
  name: Schema.String,
  reason: Schema.String
}) {}

const lockKey = (schema: string) => `vouch.projection.${schema}`

const validSchema = (options: Options) => {
  const schema = SchemaName.validate(options.schema ?? SchemaName.defaultSchema)
  return schema._tag === "Failure" ? Effect.fail(schema.failure) : Effect.succeed(schema.success)
}

/**
 * Tries once to become leader of `name`. On success the lock is held on a reserved connection
 * until the scope closes (and released then); the returned connection is the lock's session.
 */
export const tryAcquire = (
  name: string,
  options: Options = {}
): Effect.Effect<Option.Option<Connection>, SqlError | StorageFailure, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function* () {
    const schema = yield* validSchema(options)
    const sql = yield* SqlClient.SqlClient
    const connection = yield* sql.reserve
    const rows = yield* connection.executeValues("SELECT pg_try_advisory_lock(hashtext($1), hashtext($2))", [
      lockKey(schema),
      name
    ])
    if (rows[0]?.[0] !== true) return Option.none()
    yield* Effect.addFinalizer(() =>
      // A pooled session outlives us: unlock it before the pool hands it to someone else. If
      // the session is gone, so is the lock, and the failure is of no interest.
      connection
        .executeValues("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", [lockKey(schema), name])
        .pipe(Effect.ignore)
    )
    return Option.some(connection)
  })

/**
 * Runs `work` only while this instance leads projection `name`, contending for the lock until
 * it gets it and again whenever it loses it. Completes with `work`'s result once `work` completes
 * as leader; a failure of `work` ends the run too (retrying it is the caller's policy).
 */
export const run = <A, E, R>(
  name: string,
  work: Effect.Effect<A, E, R>,
  options: Options = {}
): Effect.Effect<A, E | StorageFailure, R | SqlClient.SqlClient> => {
  const retryInterval = Duration.fromInputUnsafe(options.retryInterval ?? Duration.seconds(1))
  const checkInterval = Duration.fromInputUnsafe(options.checkInterval ?? Duration.seconds(1))
  const watch = (connection: Connection) =>
    Effect.gen(function* () {
      for (;;) {
        yield* Effect.sleep(checkInterval)
        const alive = yield* connection.executeValues("SELECT 1", []).pipe(
          Effect.timeoutOption(checkInterval),
          Effect.map(Option.isSome),
          Effect.catch(() => Effect.succeed(false))
        )
        if (!alive) return yield* new LeadershipLost({ name, reason: "the lock's session ended or stopped answering" })
      }
    })
  const term: Effect.Effect<Option.Option<A>, E | SqlError | StorageFailure, R | SqlClient.SqlClient> = Effect.scoped(
    Effect.gen(function* () {
      const lock = yield* tryAcquire(name, options)
      if (Option.isNone(lock)) return Option.none<A>()
      const outcome = yield* Effect.raceFirst(
        Effect.map(work, (a) => Option.some(a)),
        watch(lock.value).pipe(
          Effect.catch((lost) =>
            Effect.logWarning(`projection ${name}: leadership lost (${lost.reason})`).pipe(Effect.as(Option.none<A>()))
          )
        )
      )
      return outcome
    })
  )
  return Effect.gen(function* () {
    for (;;) {
      const outcome = yield* term.pipe(
        // A failure to reach the server is a reason to try again later, not to give up.
        Effect.catchTag("SqlError", () => Effect.succeed(Option.none<A>()))
      )
      if (Option.isSome(outcome)) return outcome.value
      yield* Effect.sleep(retryInterval)
    }
  }) as Effect.Effect<A, E | StorageFailure, R | SqlClient.SqlClient>
}

/** The backend process id of the session leading projection `name`, if any: for operators and tests. */
export const leaderPid = (
  name: string,
  options: Options = {}
): Effect.Effect<Option.Option<number>, StorageFailure, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const schema = yield* validSchema(options)
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.unsafe(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = hashtext($1)::oid AND objid = hashtext($2)::oid`,
      [lockKey(schema), name]
    ).values
    return Option.fromNullishOr(rows[0]?.[0] as number | undefined)
  }).pipe(orStorageFailure("leaderPid"))
