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

/** Thrown inside the fast copy to abandon it; the slow walk then says where and why. */
const notJson = new Error("not JSON")

/**
 * The fast copy: no path bookkeeping, since nearly every value is JSON. `ancestors` holds the
 * objects on the current path, to detect cycles.
 */
const copyFast = (input: unknown, depth: number, ancestors: Array<object>): Json => {
  switch (typeof input) {
    case "string":
    case "boolean":
      return input
    case "number":
      if (Number.isFinite(input)) return input
      throw notJson
    case "object": {
      if (input === null) return null
      if (depth >= maxDepth || ancestors.includes(input)) throw notJson
      ancestors.push(input)
      let out: Json
      if (Array.isArray(input)) {
        const items: Array<Json> = new Array(input.length)
        for (let i = 0; i < input.length; i++) items[i] = copyFast(input[i], depth + 1, ancestors)
        out = items
      } else {
        const proto = Object.getPrototypeOf(input)
        if (proto !== Object.prototype && proto !== null) throw notJson
        const record: Record<string, Json> = {}
        for (const key in input) {
          if (!Object.hasOwn(input, key)) continue
          const item = (input as Record<string, unknown>)[key]
          if (item === undefined) continue // JSON drops undefined members; so do we.
          const field = copyFast(item, depth + 1, ancestors)
          // "__proto__" is an ordinary key in JSON; assigning it would change the prototype instead.
          if (key === "__proto__") {
            Object.defineProperty(record, key, { value: field, enumerable: true, writable: true, configurable: true })
          } else {
            record[key] = field
          }
        }
        out = record
      }
      ancestors.pop()
      return Object.freeze(out)
    }
    default:
      throw notJson
  }
}

/** The slow walk, run only after the fast copy gave up: the path to the first problem, and what it is. */
const problemIn = (input: unknown, depth: number, path: string, ancestors: Array<object>): string | undefined => {
  switch (typeof input) {
    case "string":
    case "boolean":
    case "undefined":
      return undefined
    case "number":
      return Number.isFinite(input) ? undefined : `${path} is ${input}, which JSON cannot hold`
    case "object": {
      if (input === null) return undefined
      if (depth >= maxDepth) return `${path} is nested deeper than ${maxDepth} levels`
      if (ancestors.includes(input)) return `${path} refers back to itself (a cycle)`
      const proto = Object.getPrototypeOf(input)
      if (!Array.isArray(input) && proto !== Object.prototype && proto !== null) {
        return `${path} is a ${proto?.constructor?.name ?? "non-plain object"}, not a plain object`
      }
      ancestors.push(input)
      const entries: Array<[string, unknown]> = Array.isArray(input)
        ? input.map((item, i) => [`${path}[${i}]`, item])
        : Object.keys(input).map((key) => [`${path}.${key}`, (input as Record<string, unknown>)[key]])
      for (const [where, item] of entries) {
        const problem = problemIn(item, depth + 1, where, ancestors)
        if (problem !== undefined) return problem
      }
      ancestors.pop()
      return undefined
    }
    default:
      return `${path} is a ${typeof input}, which JSON cannot hold`
  }
}

/** A deeply frozen JSON copy of `value`, or the reason it is not JSON. */
export const snapshot = (value: unknown): Result.Result<Json, string> => {
  try {
    return Result.succeed(copyFast(value, 0, []))
  } catch (error) {
    if (error !== notJson && !(error instanceof RangeError)) throw error
    return Result.fail(problemIn(value, 0, "data", []) ?? "data is not JSON")
  }
}
