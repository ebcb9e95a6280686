/**
 * Stream ids name the streams that hold one aggregate's events. They are validated once at the
 * edge (non-empty, bounded, no control characters), so stores never see an id they would have
 * to escape, and a hostile id cannot reach a file name or a query unchecked.
 */
import { Effect, Result, Schema } from "effect"
import { InvalidStreamId } from "./Errors.ts"

/** The longest stream id accepted, in UTF-16 code units. */
export const maxLength = 512

/** A validated stream id. */
export type StreamId = string & { readonly StreamId: unique symbol }

// C0 and C1 control characters, DEL, and lone surrogates (which do not survive UTF-8).
const forbidden = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Why `id` is not a valid stream id, or undefined when it is one. */
export const problem = (id: unknown): string | undefined => {
  if (typeof id !== "string") return `expected a string, got ${typeof id}`
  if (id.length === 0) return "must not be empty"
  if (id.length > maxLength) return `must be at most ${maxLength} characters, got ${id.length}`
  if (id.trim() !== id) return "must not start or end with whitespace"
  if (forbidden.test(id)) return "must not contain control characters or unpaired surrogates"
  return undefined
}

/** A printable rendering of a refused id, short enough for logs. */
const describe = (id: unknown): string => {
  const text = typeof id === "string" ? id : String(id)
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)
}

// Applications read the same streams over and over; remembering recently accepted ids saves a
// scan with a regular expression on every read. Bounded: cleared when it grows large.
const accepted = new Set<string>()

/** Validates an id, as a `Result`. */
export const parse = (id: unknown): Result.Result<StreamId, InvalidStreamId> => {
  if (accepted.has(id as string)) return Result.succeed(id as StreamId)
  const reason = problem(id)
  if (reason === undefined) {
    if (accepted.size >= 50_000) accepted.clear()
    accepted.add(id as string)
  }
  return reason === undefined
    ? Result.succeed(id as StreamId)
    : Result.fail(new InvalidStreamId({ streamId: describe(id), reason }))
}

/** Validates an id, failing with `InvalidStreamId`. */
export const make = (id: unknown): Effect.Effect<StreamId, InvalidStreamId> => {
  const result = parse(id)
  return Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(result.failure)
}

/** Validates an id, throwing `InvalidStreamId`; for literals in tests and examples. */
export const unsafeMake = (id: string): StreamId => Result.getOrThrow(parse(id))

/** The schema of a stream id, for commands and read models that carry one. */
export const StreamIdSchema = Schema.String.check(
  Schema.makeFilter((id: string) => problem(id) ?? true)
) as unknown as Schema.Codec<StreamId, string>

/** Joins an aggregate category and an entity id into a stream id: `complaint-42`. */
export const forEntity = (category: string, entityId: string): Result.Result<StreamId, InvalidStreamId> =>
  parse(`${category}-${entityId}`)
