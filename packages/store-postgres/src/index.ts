/** The production `EventStore` on PostgreSQL, on the Effect SQL stack. */
export * as PgEventStore from "./PgEventStore.ts"
/** Versioned, idempotent schema migrations for the PostgreSQL store. */
export * as PgMigrations from "./PgMigrations.ts"
/** One leader per projection across application instances, by session advisory lock. */
export * as PgProjectionLeader from "./PgProjectionLeader.ts"
