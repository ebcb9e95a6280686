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

/** A deeply frozen JSON copy of `value`, or the reason it is not JSON. */
export const snapshot = (value: unknown): Result.Result<Json, string> => {
  const seen = new Set<object>()
  let failure: string | undefined
  const copy = (input: unknown, depth: number, path: string): Json => {
    if (failure !== undefined) return null
    switch (typeof input) {
      case "string":
      case "boolean":
        return input
      case "number":
        if (Number.isFinite(input)) return input
        failure = `${path} is ${input}, which JSON cannot hold`
        return null
      case "object": {
        if (input === null) return null
        if (depth >= maxDepth) {
          failure = `${path} is nested deeper than ${maxDepth} levels`
          return null
        }
        if (seen.has(input)) {
          failure = `${path} refers back to itself (a cycle)`
          return null
        }
        seen.add(input)
        let out: Json
        if (Array.isArray(input)) {
          const items: Array<Json> = new Array(input.length)
          for (let i = 0; i < input.length; i++) items[i] = copy(input[i], depth + 1, `${path}[${i}]`)
          out = items
        } else {
          const proto = Object.getPrototypeOf(input)
          if (proto !== Object.prototype && proto !== null) {
            failure = `${path} is a ${proto?.constructor?.name ?? "non-plain object"}, not a plain object`
            return null
          }
          const record: Record<string, Json> = {}
          for (const key of Object.keys(input)) {
            const item = (input as Record<string, unknown>)[key]
            if (item === undefined) continue // JSON drops undefined members; so do we.
            const field = copy(item, depth + 1, `${path}.${key}`)
            // "__proto__" is an ordinary key in JSON; assigning it would change the prototype instead.
            if (key === "__proto__") {
              Object.defineProperty(record, key, { value: field, enumerable: true, writable: true, configurable: true })
            } else {
              record[key] = field
            }
          }
          out = record
        }
        seen.delete(input)
        return Object.freeze(out)
      }
      default:
        failure = `${path} is a ${typeof input}, which JSON cannot hold`
        return null
    }
  }
  const result = copy(value, 0, "data")
  return failure === undefined ? Result.succeed(result) : Result.fail(failure)
}
