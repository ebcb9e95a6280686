/**
 * The PostgreSQL schema that holds a store's tables. Its name is spliced into DDL and queries
 * (identifiers cannot be bound as parameters), so it is checked against a strict pattern first:
 * lower-case letters, digits and underscores, short enough that the notification channel derived
 * from it stays within PostgreSQL's 63-byte identifier limit.
 */
import { StorageFailure } from "@vouch/core"
import { Result } from "effect"

/** The schema used when the caller names none. */
export const defaultSchema = "vouch"

const pattern = /^[a-z_][a-z0-9_]{0,56}$/

/** Checks a schema name, returning it unchanged when it is safe to splice into SQL. */
export const validate = (schema: string): Result.Result<string, StorageFailure> =>
  typeof schema === "string" && pattern.test(schema) && !schema.startsWith("pg_")
    ? Result.succeed(schema)
    : Result.fail(
        new StorageFailure({
          reason: `invalid schema name ${JSON.stringify(String(schema).slice(0, 100))}: use 1 to 57 lower-case letters, digits and underscores, not starting with a digit or "pg_"`,
          retryable: false
        })
      )

/** The LISTEN/NOTIFY channel on which appends to `schema` are announced. */
export const channel = (schema: string): string => `vouch_${schema}`
