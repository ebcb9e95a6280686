/**
 * Versioned schema migrations for the PostgreSQL store. Everything the store needs lives in one
 * schema of the caller's choosing; the schema records which migrations it has had in its own
 * `migrations` table. Running them is idempotent and safe from several processes at once: each
 * run takes a transaction-scoped advisory lock keyed by the schema, applies what is missing in
 * that one transaction, and a run that had to wait finds everything applied and does nothing.
 */
import type { StorageFailure } from "@vouch/core"
import { Effect, Result } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SchemaName from "./internal/schemaName.ts"

/** One migration: a version, a name for the record, and the statements it runs. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: (schema: string) => ReadonlyArray<string>
}

/** Where to migrate. */
export interface Options {
  /** The schema holding the store's tables (default `vouch`). */
  readonly schema?: string | undefined
}

/** What a run did. */
export interface Report {
  readonly schema: string
  /** Versions applied by this run, oldest first; empty when the schema was up to date. */
  readonly applied: ReadonlyArray<number>
}

const appendFunction = (s: string): string => `
CREATE OR REPLACE FUNCTION ${s}.append(
  p_stream text,
  p_kind integer,
  p_expected integer,
  p_ids text[],
  p_types text[],
  p_schema_versions integer[],
  p_data text[],
  p_metadata text[],
  p_recorded_at timestamptz,
  p_careful boolean,
  OUT status integer,
  OUT first_version integer,
  OUT last_version integer,
  OUT tx_id bigint,
  OUT seq bigint,
  OUT dup_id text,
  OUT dup_stream text,
  OUT dup_version integer
)
LANGUAGE plpgsql
-- Every statement here is a point or range lookup on an index. plpgsql caches its plans, and a
-- plan made while a table was new and empty (before autovacuum has analyzed it) scans the whole
-- table: measured, a fresh store read 15 million rows in 4 seconds of appends. No sequential scans.
SET enable_seqscan = off
AS $fn$
-- status: 0 appended, 1 idempotent repeat, 2 version conflict (actual in last_version),
-- 3 event id already stored elsewhere (dup_*).
-- p_kind: 0 any, 1 no stream, 2 stream exists, 3 exact p_expected.
-- The fast path bumps an existing stream's version in one UPDATE that checks the expectation,
-- and lets the unique index on event_id catch a re-append: the caller then calls again with
-- p_careful, which locks the row first and applies the idempotency rule before anything else.
-- No pg_notify here: a NOTIFY in the transaction serialises every appending commit on the
-- notification queue's lock (measured: a third of the throughput of 8 writers). Callers announce
-- appends after commit: SELECT pg_notify('vouch_<schema>', '').
DECLARE
  n integer := coalesce(cardinality(p_ids), 0);
  cur integer;
  has_row boolean;
  first_stream text;
  first_at integer;
  pinned integer;
BEGIN
  IF n > 0 AND NOT p_careful THEN
    UPDATE ${s}.streams AS st SET version = st.version + n
      WHERE st.stream_id = p_stream
        AND (p_kind = 0 OR (p_kind = 2 AND st.version > 0) OR (p_kind = 3 AND st.version = p_expected))
      RETURNING st.version - n INTO cur;
  END IF;
  IF cur IS NULL THEN
    LOOP
      -- The stream row is the lock that serialises appends to one stream.
      SELECT s.version INTO cur FROM ${s}.streams s WHERE s.stream_id = p_stream FOR UPDATE;
      has_row := FOUND;
      IF NOT has_row THEN cur := 0; END IF;

      IF n > 0 AND EXISTS (SELECT 1 FROM ${s}.events e WHERE e.event_id = ANY (p_ids)) THEN
        SELECT e.stream_id, e.version INTO first_stream, first_at FROM ${s}.events e WHERE e.event_id = p_ids[1];
        IF NOT FOUND THEN
          SELECT u.id, e.stream_id, e.version INTO dup_id, dup_stream, dup_version
            FROM unnest(p_ids) WITH ORDINALITY AS u(id, o) JOIN ${s}.events e ON e.event_id = u.id
            ORDER BY u.o LIMIT 1;
          status := 3;
          RETURN;
        END IF;
        pinned := CASE p_kind WHEN 3 THEN p_expected WHEN 1 THEN 0 END;
        IF first_stream <> p_stream OR (pinned IS NOT NULL AND first_at <> pinned + 1) THEN
          dup_id := p_ids[1]; dup_stream := first_stream; dup_version := first_at;
          status := 3;
          RETURN;
        END IF;
        SELECT u.id, coalesce(e.stream_id, first_stream), coalesce(e.version, first_at)
          INTO dup_id, dup_stream, dup_version
          FROM unnest(p_ids) WITH ORDINALITY AS u(id, o) LEFT JOIN ${s}.events e ON e.event_id = u.id
          WHERE u.o > 1 AND (e.event_id IS NULL OR e.stream_id <> p_stream OR e.version <> first_at + u.o - 1)
          ORDER BY u.o LIMIT 1;
        IF FOUND THEN
          status := 3;
          RETURN;
        END IF;
        status := 1;
        first_version := first_at;
        last_version := first_at + n - 1;
        SELECT e.tx_id, e.seq INTO tx_id, seq FROM ${s}.events e
          WHERE e.stream_id = p_stream AND e.version = first_at + n - 1;
        RETURN;
      END IF;

      IF NOT (p_kind = 0 OR (p_kind = 1 AND cur = 0) OR (p_kind = 2 AND cur > 0) OR (p_kind = 3 AND cur = p_expected)) THEN
        status := 2;
        last_version := cur;
        RETURN;
      END IF;

      IF n = 0 THEN
        status := 0;
        first_version := cur + 1;
        last_version := cur;
        SELECT e.tx_id, e.seq INTO tx_id, seq FROM ${s}.events e ORDER BY e.tx_id DESC, e.seq DESC LIMIT 1;
        RETURN;
      END IF;

      IF has_row THEN
        UPDATE ${s}.streams SET version = cur + n WHERE stream_id = p_stream;
        EXIT;
      END IF;
      INSERT INTO ${s}.streams (stream_id, version) VALUES (p_stream, n) ON CONFLICT (stream_id) DO NOTHING;
      -- Lost a race to create the stream: the winner has committed, so lock its row and check again.
      EXIT WHEN FOUND;
    END LOOP;
  END IF;

  tx_id := pg_current_xact_id()::text::bigint;
  WITH inserted AS (
    INSERT INTO ${s}.events
      (tx_id, stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at)
    SELECT tx_id, p_stream, cur + u.o::integer, u.id, u.t, u.v, u.d::json, u.m::json, p_recorded_at
      FROM unnest(p_ids, p_types, p_schema_versions, p_data, p_metadata) WITH ORDINALITY AS u(id, t, v, d, m, o)
      ORDER BY u.o
    RETURNING ${s}.events.seq
  )
  SELECT max(inserted.seq) INTO seq FROM inserted;
  status := 0;
  first_version := cur + 1;
  last_version := cur + n;
END
$fn$`

/**
 * Inserts the events of the members in `held` (whose stream versions were bumped to `curs`) in one
 * statement, and returns each one's row as `append` would. Used twice by `append_group`.
 */
const insertHeld = (s: string): string => `
    RETURN QUERY
    WITH inserted AS (
      INSERT INTO ${s}.events AS ev
        (tx_id, stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at)
      SELECT tx, p_streams[h.k], curs[h.k] + e.o::integer, e.id, e.t, e.v, e.d::json, e.m::json, p_recorded_at[h.k]
        FROM unnest(held) WITH ORDINALITY AS h(k, ho)
        CROSS JOIN LATERAL unnest(
          p_ids[firsts[h.k]:firsts[h.k] + p_counts[h.k] - 1],
          p_types[firsts[h.k]:firsts[h.k] + p_counts[h.k] - 1],
          p_schema_versions[firsts[h.k]:firsts[h.k] + p_counts[h.k] - 1],
          p_data[firsts[h.k]:firsts[h.k] + p_counts[h.k] - 1],
          p_metadata[firsts[h.k]:firsts[h.k] + p_counts[h.k] - 1]
        ) WITH ORDINALITY AS e(id, t, v, d, m, o)
        ORDER BY h.ho, e.o
      RETURNING ev.stream_id, ev.version, ev.seq
    )
    SELECT h.k, 0, curs[h.k] + 1, curs[h.k] + p_counts[h.k], tx, i.seq, NULL::text, NULL::text, NULL::integer
      FROM unnest(held) AS h(k)
      JOIN inserted i ON i.stream_id = p_streams[h.k] AND i.version = curs[h.k] + p_counts[h.k];
    held := '{}';`

const appendGroupFunction = (s: string): string => `
CREATE FUNCTION ${s}.append_group(
  p_streams text[],
  p_kinds integer[],
  p_expected integer[],
  p_counts integer[],
  p_ids text[],
  p_types text[],
  p_schema_versions integer[],
  p_data text[],
  p_metadata text[],
  p_recorded_at timestamptz[]
)
RETURNS TABLE (
  member integer,
  status integer,
  first_version integer,
  last_version integer,
  tx_id bigint,
  seq bigint,
  dup_id text,
  dup_stream text,
  dup_version integer
)
LANGUAGE plpgsql
-- As in append: index lookups only, whatever plan a young table got.
SET enable_seqscan = off
-- A group never waits long for a lock while holding others: a member whose stream row (or event
-- id) is held by another transaction fails the statement within 10 ms, and the caller then makes
-- each append on its own. So one blocked append does not hold back the rest of its group, and a
-- group cannot deadlock with a caller's transaction that appends to several streams.
SET lock_timeout = '10ms'
AS $fn$
-- Several appends, to the same or different streams, in one statement and so one transaction.
-- Member k has the result the call append(p_streams[k], p_kinds[k], p_expected[k], <its
-- p_counts[k] events, which follow those of the members before it>, p_recorded_at[k], false)
-- would have given at its turn. Its fast path (one UPDATE that checks the expectation and bumps
-- the version) runs here, and the events of members that took it are held and inserted together
-- in one INSERT; any other member is that very append call, after the held events are inserted,
-- so that it sees everything before it. A unique violation (a re-append, which the careful path
-- must judge) fails the whole statement; the caller then makes each append on its own.
-- Members run in stream order (then in the order given), so two groups take stream row locks in
-- the same order and cannot deadlock each other; appends to one stream keep their order.
DECLARE
  members integer := coalesce(cardinality(p_streams), 0);
  firsts integer[] := '{}';
  curs integer[] := '{}';
  held integer[] := '{}';
  next_first integer := 1;
  tx bigint;
  k integer;
  n integer;
  cur integer;
  a integer;
  b integer;
BEGIN
  FOR k IN 1..members LOOP
    firsts[k] := next_first;
    next_first := next_first + p_counts[k];
  END LOOP;
  FOR k IN
    SELECT g.o::integer FROM unnest(p_streams) WITH ORDINALITY AS g(stream, o) ORDER BY g.stream COLLATE "C", g.o
  LOOP
    n := p_counts[k];
    cur := NULL;
    IF n > 0 THEN
      UPDATE ${s}.streams AS st SET version = st.version + n
        WHERE st.stream_id = p_streams[k]
          AND (p_kinds[k] = 0 OR (p_kinds[k] = 2 AND st.version > 0) OR (p_kinds[k] = 3 AND st.version = p_expected[k]))
        RETURNING st.version - n INTO cur;
    END IF;
    IF cur IS NOT NULL THEN
      curs[k] := cur;
      held := held || k;
      tx := pg_current_xact_id()::text::bigint;
      CONTINUE;
    END IF;
    IF cardinality(held) > 0 THEN${insertHeld(s)}
    END IF;
    a := firsts[k];
    b := a + n - 1;
    member := k;
    SELECT r.status, r.first_version, r.last_version, r.tx_id, r.seq, r.dup_id, r.dup_stream, r.dup_version
      INTO status, first_version, last_version, tx_id, seq, dup_id, dup_stream, dup_version
      FROM ${s}.append(p_streams[k], p_kinds[k], p_expected[k], p_ids[a:b], p_types[a:b],
        p_schema_versions[a:b], p_data[a:b], p_metadata[a:b], p_recorded_at[k], false) r;
    RETURN NEXT;
  END LOOP;
  IF cardinality(held) > 0 THEN${insertHeld(s)}
  END IF;
END
$fn$`

/** The migrations, in order. Never edit one that has shipped: add the next version instead. */
export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "events, streams, checkpoints and the append function",
    statements: (s) => [
      `CREATE TABLE ${s}.streams (
        stream_id text COLLATE "C" PRIMARY KEY,
        version integer NOT NULL CHECK (version >= 0)
      )`,
      // json, not jsonb: events come back byte for byte as they were encoded (key order,
      // duplicate keys, number spelling), and inserting skips jsonb's conversion.
      `CREATE TABLE ${s}.events (
        tx_id bigint NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        stream_id text COLLATE "C" NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        event_id text COLLATE "C" NOT NULL,
        event_type text NOT NULL,
        schema_version integer NOT NULL,
        data json NOT NULL,
        metadata json NOT NULL,
        recorded_at timestamptz NOT NULL,
        CONSTRAINT events_pkey PRIMARY KEY (tx_id, seq),
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
        CONSTRAINT events_event_id_key UNIQUE (event_id)
      )`,
      `CREATE TABLE ${s}.checkpoints (
        name text COLLATE "C" PRIMARY KEY,
        position text NOT NULL,
        version bigint NOT NULL,
        state json,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      appendFunction(s)
    ]
  },
  {
    version: 2,
    name: "append_group: several appends in one statement",
    statements: (s) => [appendGroupFunction(s)]
  }
]

/**
 * Brings `schema` up to date: creates it if needed and applies every migration it has not had,
 * in one transaction under an advisory lock. Safe to run at every start-up and concurrently.
 */
export const run = (options: Options = {}): Effect.Effect<Report, SqlError | StorageFailure, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const schema = SchemaName.validate(options.schema ?? SchemaName.defaultSchema)
    if (Result.isFailure(schema)) return yield* schema.failure
    const s = schema.success
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        // Two-key form, so it can never collide with the one-key locks applications take.
        yield* sql`SELECT pg_advisory_xact_lock(hashtext('vouch.migrate'), hashtext(${s}))`
        yield* sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${s}`)
        yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS ${s}.migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`)
        const rows = yield* sql.unsafe<{ readonly version: number }>(`SELECT version FROM ${s}.migrations`)
        const done = new Set(rows.map((row) => row.version))
        const applied: Array<number> = []
        for (const migration of migrations) {
          if (done.has(migration.version)) continue
          for (const statement of migration.statements(s)) yield* sql.unsafe(statement).unprepared
          yield* sql.unsafe(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [
            migration.version,
            migration.name
          ])
          applied.push(migration.version)
        }
        return { schema: s, applied }
      })
    )
  })

/** The latest migration version this package knows. */
export const latestVersion: number = migrations.reduce((max, m) => Math.max(max, m.version), 0)

/** Refuses a schema name that is unsafe to splice into SQL. */
export const validateSchema = (schema: string): Result.Result<string, StorageFailure> => SchemaName.validate(schema)
