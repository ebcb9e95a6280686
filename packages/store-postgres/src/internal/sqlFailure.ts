/**
 * Translation of driver failures into the kernel's `StorageFailure`. The one judgement made here
 * is whether retrying can help: a dropped connection, a server shutting down, a serialization
 * failure or a deadlock all leave nothing behind (PostgreSQL rolled the transaction back), so the
 * same call may succeed on a fresh connection; a syntax error or a broken constraint will not.
 */
import { StorageFailure } from "@vouch/core"
import { Effect } from "effect"
import type { SqlError } from "effect/sql/SqlError"

/** SQLSTATE codes (besides class 08, connection exceptions) after which a retry can succeed. */
const retryableCodes = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available
  "57P01", // admin_shutdown: pg_terminate_backend, or a fast shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: the server is starting up
  "53300" // too_many_connections
])

/** The SQLSTATE a server error carried, if the failure came from the server. */
export const sqlState = (error: SqlError): string | undefined => {
  const cause = error.reason.cause as { readonly code?: unknown } | undefined
  return typeof cause === "object" && cause !== null && typeof cause.code === "string" ? cause.code : undefined
}

/** The constraint a server error names, if any. */
export const constraintOf = (error: SqlError): string | undefined => {
  const cause = error.reason.cause as { readonly constraint?: unknown } | undefined
  return typeof cause === "object" && cause !== null && typeof cause.constraint === "string"
    ? cause.constraint
    : undefined
}

/** Whether retrying the call that failed with `error` can help. */
export const isRetryable = (error: SqlError): boolean => {
  switch (error.reason._tag) {
    case "ConnectionError":
    case "DeadlockError":
    case "SerializationError":
    case "LockTimeoutError":
      return true
  }
  const code = sqlState(error)
  return code !== undefined && (code.startsWith("08") || retryableCodes.has(code))
}

/** The kernel's storage failure for a driver error. */
export const toStorageFailure = (error: SqlError, operation: string): StorageFailure =>
  new StorageFailure({
    reason: `PostgreSQL ${operation} failed: ${error.message}${sqlState(error) ? ` (SQLSTATE ${sqlState(error)})` : ""}`,
    retryable: isRetryable(error),
    cause: error
  })

/** Maps an effect's `SqlError` to `StorageFailure`. */
export const orStorageFailure =
  (operation: string) =>
  <A, E, R>(effect: Effect.Effect<A, E | SqlError, R>): Effect.Effect<A, Exclude<E, SqlError> | StorageFailure, R> =>
    Effect.catchTag(effect as Effect.Effect<A, SqlError, R>, "SqlError", (error) =>
      Effect.fail(toStorageFailure(error, operation))
    ) as Effect.Effect<A, Exclude<E, SqlError> | StorageFailure, R>
