/**
 * fast-check arbitraries derived from `effect/Schema` schemas, so a domain package gets random
 * events and commands for property tests without writing generators by hand. The walk follows
 * the schema's AST: literals, strings, numbers and booleans honour the bounds their checks
 * declare (integer, minimum/maximum, min/max length); structs, records, tuples, arrays and
 * unions compose; every generated value is finally filtered through the schema itself, so a
 * value that reaches a test is one the schema accepts.
 *
 * Types the walk cannot know (schema declarations such as `DateTime.Utc`, or an application's
 * own classes) are supplied through `overrides`, keyed by the declaration's representation id.
 */
import { DateTime, Schema, type SchemaAST } from "effect"
import fc from "fast-check"

/**
 * Arbitraries for declarations: keyed by representation id (e.g. "effect/schema/DateTimeUtc"),
 * or given as `[schema, arbitrary]` pairs for schemas without one (such as `Schema.instanceOf`).
 */
export type Overrides =
  | Readonly<Record<string, fc.Arbitrary<unknown>>>
  | ReadonlyArray<readonly [{ readonly ast: SchemaAST.AST }, fc.Arbitrary<unknown>]>

/** Overrides normalised: by id and by AST node. */
interface Lookup {
  readonly byId: Readonly<Record<string, fc.Arbitrary<unknown>>>
  readonly byAst: ReadonlyMap<SchemaAST.AST, fc.Arbitrary<unknown>>
}

/** Instants between 2020 and 2030: wide enough to cross years and DST changes, narrow enough to read. */
export const instant: fc.Arbitrary<DateTime.Utc> = fc
  .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) })
  .map((millis) => DateTime.makeUnsafe(millis))

const builtIn: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  "effect/schema/DateTimeUtc": instant
}

interface Constraints {
  integer?: boolean
  minimum?: number
  maximum?: number
  exclusiveMinimum?: boolean
  exclusiveMaximum?: boolean
  minLength?: number
  maxLength?: number
}

const constraintsOf = (ast: SchemaAST.AST): Constraints => {
  const out: Constraints = {}
  for (const check of (ast as { readonly checks?: ReadonlyArray<unknown> }).checks ?? []) {
    const constraint = (check as { annotations?: { arbitraryConstraint?: Record<string, unknown> } }).annotations
      ?.arbitraryConstraint
    if (constraint === undefined) continue
    if (constraint.number === "integer") out.integer = true
    for (const key of ["minimum", "maximum", "minLength", "maxLength"] as const) {
      const value = constraint[key]
      if (typeof value === "number") out[key] = value
    }
    if (constraint.exclusiveMinimum === true) out.exclusiveMinimum = true
    if (constraint.exclusiveMaximum === true) out.exclusiveMaximum = true
  }
  return out
}

const representationId = (ast: SchemaAST.AST): string | undefined =>
  (ast as { annotations?: { representation?: { id?: string } } }).annotations?.representation?.id

const number = (c: Constraints): fc.Arbitrary<number> => {
  if (c.integer === true) {
    const min = Math.ceil(c.minimum ?? -1_000_000) + (c.exclusiveMinimum === true ? 1 : 0)
    const max = Math.floor(c.maximum ?? 1_000_000) - (c.exclusiveMaximum === true ? 1 : 0)
    return fc.integer({ min, max })
  }
  return fc.double({
    min: c.minimum ?? -1_000_000,
    max: c.maximum ?? 1_000_000,
    minExcluded: c.exclusiveMinimum === true,
    maxExcluded: c.exclusiveMaximum === true,
    noNaN: true,
    noDefaultInfinity: true
  })
}

const string = (c: Constraints): fc.Arbitrary<string> =>
  fc.string({ minLength: c.minLength ?? 0, maxLength: c.maxLength ?? Math.max(c.minLength ?? 0, 12), unit: "grapheme" })

const walk = (ast: SchemaAST.AST, overrides: Lookup, depth: number): fc.Arbitrary<unknown> => {
  const byNode = overrides.byAst.get(ast)
  if (byNode !== undefined) return byNode
  const id = representationId(ast)
  if (id !== undefined && overrides.byId[id] !== undefined) return overrides.byId[id] as fc.Arbitrary<unknown>
  switch (ast._tag) {
    case "Literal":
      return fc.constant(ast.literal)
    case "String":
      return string(constraintsOf(ast))
    case "Number":
      return number(constraintsOf(ast))
    case "Boolean":
      return fc.boolean()
    case "Null":
      return fc.constant(null)
    case "Undefined":
    case "Void":
      return fc.constant(undefined)
    case "Enum":
      return fc.constantFrom(...ast.enums.map(([, value]) => value))
    case "Union":
      return fc.oneof(...ast.types.map((member) => walk(member, overrides, depth)))
    case "Suspend":
      return depth > 3 ? fc.constant(undefined) : walk(ast.thunk(), overrides, depth + 1)
    case "Arrays": {
      const elements = ast.elements.map((element) => walk(element, overrides, depth))
      const [rest] = ast.rest
      const c = constraintsOf(ast)
      const tail =
        rest === undefined
          ? fc.constant([] as Array<unknown>)
          : fc.array(walk(rest, overrides, depth + 1), { minLength: c.minLength ?? 0, maxLength: c.maxLength ?? 5 })
      return fc.tuple(fc.tuple(...elements), tail).map(([head, more]) => [...head, ...more])
    }
    case "Objects": {
      const required: Record<string, fc.Arbitrary<unknown>> = {}
      const optional: Array<string> = []
      for (const property of ast.propertySignatures) {
        const key = String(property.name)
        required[key] = walk(property.type, overrides, depth + 1)
        if ((property.type as { context?: { isOptional?: boolean } }).context?.isOptional === true) optional.push(key)
      }
      const record = fc.record(required, {
        requiredKeys: Object.keys(required).filter((k) => !optional.includes(k)),
        noNullPrototype: true
      })
      const [index] = ast.indexSignatures
      if (index === undefined) return record
      const entries = fc.dictionary(
        walk(index.parameter, overrides, depth + 1) as fc.Arbitrary<string>,
        walk(index.type, overrides, depth + 1),
        { maxKeys: 4, noNullPrototype: true }
      )
      return fc.tuple(entries, record).map(([dict, fixed]) => ({ ...dict, ...fixed }))
    }
    case "Declaration": {
      throw new Error(
        `Arbitraries: no generator for declaration ${id ?? "(unnamed)"}; pass one in overrides, ${id === undefined ? "as a [schema, arbitrary] pair" : "under that id"}`
      )
    }
    default:
      throw new Error(`Arbitraries: no generator for schema node ${ast._tag}`)
  }
}

/** A fast-check arbitrary of the values `schema` accepts (its decoded type). */
export const fromSchema = <A>(
  schema: Schema.Codec<A, unknown, never, unknown>,
  overrides: Overrides = {}
): fc.Arbitrary<A> => {
  const is = Schema.is(schema as Schema.Top)
  const lookup: Lookup = Array.isArray(overrides)
    ? { byId: builtIn, byAst: new Map(overrides.map(([s, arbitrary]) => [s.ast, arbitrary] as const)) }
    : { byId: { ...builtIn, ...(overrides as Readonly<Record<string, fc.Arbitrary<unknown>>>) }, byAst: new Map() }
  return walk(schema.ast, lookup, 0).filter((value) => is(value)) as fc.Arbitrary<A>
}
