/**
 * JSON values, the form every event takes inside a store. `snapshot` turns an arbitrary value
 * into a deeply frozen JSON copy, or says why it cannot: stores keep only such copies, so no
 * caller can change a stored event afterwards, and nothing that would not survive a round trip
 * through JSON (functions, `undefined`, cycles, `NaN`, excessive nesting) is ever stored.
 */
import { Result } from "effect"

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** The deepest nesting accepted, so that no reader or writer runs out of stack on hostile input. */
export const maxDepth = 256

interface Walk {
  readonly seen: Set<object>
  failure: string | undefined
}

const defineOwn = (record: Record<string, Json>, key: string, value: Json) =>
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true })

// One top-level recursive function (no closure per call): this runs for every appended event.
const copy = (walk: Walk, input: unknown, depth: number, path: () => string): Json => {
  switch (typeof input) {
    case "string":
    case "boolean":
      return input
    case "number":
      if (Number.isFinite(input)) return input
      walk.failure = `${path()} is ${input}, which JSON cannot hold`
      return null
    case "object": {
      if (input === null) return null
      if (depth >= maxDepth) {
        walk.failure = `${path()} is nested deeper than ${maxDepth} levels`
        return null
      }
      if (walk.seen.has(input)) {
        walk.failure = `${path()} refers back to itself (a cycle)`
        return null
      }
      walk.seen.add(input)
      let out: Json
      if (Array.isArray(input)) {
        const items: Array<Json> = new Array(input.length)
        for (let i = 0; i < input.length && walk.failure === undefined; i++) {
          items[i] = copy(walk, input[i], depth + 1, () => `${path()}[${i}]`)
        }
        out = items
      } else {
        const proto = Object.getPrototypeOf(input)
        if (proto !== Object.prototype && proto !== null) {
          walk.failure = `${path()} is a ${proto?.constructor?.name ?? "non-plain object"}, not a plain object`
          return null
        }
        const record: Record<string, Json> = {}
        for (const key in input) {
          if (!Object.hasOwn(input, key)) continue
          const item = (input as Record<string, unknown>)[key]
          if (item === undefined) continue // JSON drops undefined members; so do we.
          const field = copy(walk, item, depth + 1, () => `${path()}.${key}`)
          if (walk.failure !== undefined) break
          // "__proto__" is an ordinary key in JSON; assigning it would change the prototype instead.
          if (key === "__proto__") defineOwn(record, key, field)
          else record[key] = field
        }
        out = record
      }
      walk.seen.delete(input)
      return Object.freeze(out)
    }
    default:
      walk.failure = `${path()} is a ${typeof input}, which JSON cannot hold`
      return null
  }
}

const root = () => "data"

/** A deeply frozen JSON copy of `value`, or the reason it is not JSON. */
export const snapshot = (value: unknown): Result.Result<Json, string> => {
  if (typeof value !== "object" || value === null) {
    const walk: Walk = { seen: emptySeen, failure: undefined }
    const result = copy(walk, value, 0, root)
    return walk.failure === undefined ? Result.succeed(result) : Result.fail(walk.failure)
  }
  const walk: Walk = { seen: new Set(), failure: undefined }
  const result = copy(walk, value, 0, root)
  return walk.failure === undefined ? Result.succeed(result) : Result.fail(walk.failure)
}

// Scalars never touch `seen`; sharing one empty set for them saves an allocation per call.
const emptySeen: Set<object> = new Set()
