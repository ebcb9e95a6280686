/**
 * Shared set-up for the integration tests: where the server is, whether it is reachable (a run
 * with `VOUCH_REQUIRE_POSTGRES=1` fails instead of skipping when it is not), and scratch schemas
 * that are created per test and dropped afterwards so runs never collide.
 */
import { PgClient } from "@effect/sql-pg"
import type { CheckpointStore, EventStore } from "@vouch/core"
import { PgEventStore } from "@vouch/store-postgres"
import { Effect, Layer } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import pg from "pg"
import { describe, it } from "vitest"

/** Connection settings, overridable with the usual libpq variables. */
export const connection = {
  host: process.env.PGHOST ?? "127.0.0.1",
  port: Number(process.env.PGPORT ?? 5432),
  username: process.env.PGUSER ?? "postgres",
  database: process.env.PGDATABASE ?? "test"
}

/** Where the tests look for the server, for messages. */
export const where = `${connection.username}@${connection.host}:${connection.port}/${connection.database}`

/** Whether a server answers, checked once with a short timeout. */
export const reachable = async (): Promise<boolean> => {
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    user: connection.username,
    database: connection.database,
    connectionTimeoutMillis: 3000
  })
  try {
    await client.connect()
    await client.query("SELECT 1")
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A raw `pg` client, for what the tests do behind the store's back. */
export const rawClient = async (): Promise<pg.Client> => {
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    user: connection.username,
    database: connection.database
  })
  await client.connect()
  return client
}

/** A fresh schema name for one test. */
export const scratchSchema = (): string =>
  `vouch_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`

/** A pool of the Effect SQL client. */
export const pgLayer = (maxConnections = 24) =>
  PgClient.layer({ ...connection, maxConnections, applicationName: "vouch-store-postgres-test" })

/** Drops `schema` when the layer is released. */
export const dropSchemaOnRelease = (schema: string) =>
  Layer.effectDiscard(
    Effect.acquireRelease(Effect.void, () =>
      SqlClient.SqlClient.use((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).pipe(Effect.orDie)
    )
  )

/** The services a scratch store provides. */
export type ScratchServices =
  | EventStore.EventStore
  | CheckpointStore.CheckpointStore
  | SqlClient.SqlClient
  | PgClient.PgClient

/** A store in a schema of its own on a pool of its own, dropped when released. */
export const scratchStore = (
  options: Omit<PgEventStore.Options, "schema"> = {},
  schema = scratchSchema()
): Layer.Layer<ScratchServices, unknown> =>
  PgEventStore.layer({ ...options, schema }).pipe(
    Layer.provideMerge(dropSchemaOnRelease(schema)),
    Layer.provideMerge(pgLayer())
  )

/**
 * Checks the server once per test file. When it is unreachable the file's tests are skipped with
 * a visible reason, unless `VOUCH_REQUIRE_POSTGRES=1` (as in CI), which registers a failing test.
 */
export const gate = async (): Promise<{ readonly up: boolean; readonly skip: string | undefined }> => {
  const up = await reachable()
  if (!up && process.env.VOUCH_REQUIRE_POSTGRES === "1") {
    describe("PostgreSQL", () => {
      it(`is required (VOUCH_REQUIRE_POSTGRES=1) but not reachable at ${where}`, () => {
        throw new Error(`PostgreSQL not reachable at ${where}`)
      })
    })
  }
  return { up, skip: up ? undefined : `PostgreSQL not reachable at ${where}` }
}

/** Runs an effect against a layer, releasing the layer afterwards. */
export const runWith = <A, E, ROut>(layer: Layer.Layer<ROut, unknown>, effect: Effect.Effect<A, E, ROut>) =>
  Effect.runPromise(Effect.provide(effect, layer) as Effect.Effect<A, unknown>)
