import { Arbitraries } from "@vouch/testing"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { compile, declined } from "../src/internal/schemaShortcut.ts"
import * as Json from "../src/Json.ts"

/**
 * The shortcut must never accept what the schema refuses, and must build exactly what the
 * schema builds. These properties compare it with Effect's own parser on random schemas and on
 * random, valid and nearly valid inputs.
 */

type AnySchema = Schema.Codec<unknown, unknown>

const leaves: ReadonlyArray<AnySchema> = [
  Schema.String,
  Schema.Number,
  Schema.Boolean,
  Schema.Null,
  Schema.Finite,
  Schema.Int,
  Schema.NonEmptyString,
  Schema.String.check(Schema.isMaxLength(3)),
  Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThan(100)),
  Schema.Literal("open"),
  Schema.Literal(7),
  Schema.Literal(true),
  Schema.Literals(["low", "high", 3]),
  Schema.NullOr(Schema.String),
  Schema.UndefinedOr(Schema.Int)
] as unknown as ReadonlyArray<AnySchema>

// Field names include ones every object inherits, where presence tests differ.
const names = ["a", "b", "note", "toString", "constructor"] as const

const field = (schema: AnySchema): fc.Arbitrary<AnySchema> =>
  fc.constantFrom(
    schema,
    Schema.optionalKey(schema) as unknown as AnySchema,
    Schema.optional(schema) as unknown as AnySchema
  )

const schemas: fc.Arbitrary<AnySchema> = fc.letrec<{ node: AnySchema }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...leaves),
    tie("node").map((item) => Schema.Array(item) as unknown as AnySchema),
    tie("node").map((item) => Schema.NullOr(item) as unknown as AnySchema),
    fc
      .uniqueArray(
        fc.tuple(
          fc.constantFrom(...names),
          tie("node").chain((s) => field(s))
        ),
        { selector: ([name]) => name, minLength: 1, maxLength: 4 }
      )
      .chain((fields) =>
        fc.constantFrom(
          Schema.Struct(Object.fromEntries(fields)) as unknown as AnySchema,
          Schema.Struct(Object.fromEntries(fields)).check(Schema.isMinProperties(1)) as unknown as AnySchema
        )
      )
  )
})).node

const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, undefined, true, false, 0, -1, 7, 3.5, Number.NaN, Number.POSITIVE_INFINITY),
    fc.constantFrom("", "open", "low", "high", "abcd", "x"),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...names, "extra"), tie("value"), { maxKeys: 4 })
  )
})).value

/** Values the schema accepts, and the same values nudged: a member dropped, changed or added. */
const inputsFor = (schema: AnySchema): fc.Arbitrary<{ readonly value: unknown; readonly valid: boolean }> => {
  const valid = Arbitraries.fromSchema(schema as Schema.Codec<unknown, unknown>)
  return fc.oneof(
    valid.map((value) => ({ value, valid: true })),
    fc.tuple(valid, fc.constantFrom(...names), jsonish, fc.boolean()).map(([value, name, replacement, drop]) => {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return { value: replacement, valid: false }
      const copy: Record<string, unknown> = { ...value }
      if (drop) delete copy[name]
      else copy[name] = replacement
      return { value: copy, valid: false }
    }),
    jsonish.map((value) => ({ value, valid: false }))
  )
}

/** A value's structure with member order, so that two values compare equal only if built alike. */
const layout = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(layout)
    : typeof value === "object" && value !== null
      ? Object.entries(value).map(([key, item]) => [key, layout(item)])
      : Number.isNaN(value)
        ? "NaN"
        : value

const isDeeplyFrozen = (value: unknown): boolean =>
  typeof value !== "object" || value === null || (Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen))

describe("schema shortcut", () => {
  // Both forms of struct parser: generated code, and the member-list walk used where code
  // generation is forbidden.
  describe.each([true, false])("generated structs: %s", (generate) => {
    it("accepts only what the schema accepts, builds what it builds, and accepts every valid value", () => {
      fc.assert(
        fc.property(
          schemas.chain((schema) =>
            fc.tuple(fc.constant(schema), fc.array(inputsFor(schema), { minLength: 5, maxLength: 5 }))
          ),
          ([schema, inputs]) => {
            const shortcut = compile(schema.ast, { json: false, generate })
            expect(
              shortcut,
              JSON.stringify(schema.ast, (key, v) => (key === "annotations" || key === "checks" ? undefined : v))
            ).toBeDefined()
            const decode = Schema.decodeUnknownResult(schema)
            for (const { value, valid } of inputs) {
              const fast = (shortcut as (input: unknown) => unknown)(value)
              const slow = decode(value)
              if (valid) expect(fast, `${String(schema.ast)} on ${JSON.stringify(value)}`).not.toBe(declined)
              if (fast === declined) continue
              const what = `${String(schema.ast)} on ${JSON.stringify(value)}`
              expect(Result.isSuccess(slow), what).toBe(true)
              expect(layout(fast), what).toEqual(layout((slow as Result.Success<unknown, never>).success))
            }
          }
        ),
        { numRuns: 500 }
      )
    })

    it("in JSON mode builds the frozen JSON that encoding and a JSON snapshot would store", () => {
      fc.assert(
        fc.property(
          schemas.chain((schema) =>
            fc.tuple(fc.constant(schema), fc.array(inputsFor(schema), { minLength: 5, maxLength: 5 }))
          ),
          ([schema, inputs]) => {
            const shortcut = compile(schema.ast, { json: true, generate }) as (input: unknown) => unknown
            const encode = Schema.encodeUnknownResult(schema)
            for (const { value } of inputs) {
              const fast = shortcut(value)
              if (fast === declined) continue
              const encoded = encode(value)
              expect(Result.isSuccess(encoded)).toBe(true)
              const stored = Json.snapshot((encoded as Result.Success<unknown, never>).success)
              expect(Result.isSuccess(stored)).toBe(true)
              expect(layout(fast)).toEqual(layout((stored as Result.Success<unknown, never>).success))
              expect(isDeeplyFrozen(fast)).toBe(true)
            }
          }
        ),
        { numRuns: 500 }
      )
    })
  })

  it.each([true, false])("decides the edge cases as Effect does (generated structs: %s)", (generate) => {
    const Shape = Schema.Struct({
      must: Schema.UndefinedOr(Schema.Number),
      key: Schema.optionalKey(Schema.String),
      maybe: Schema.optional(Schema.String)
    })
    const decode = compile(Shape.ast, { json: false, generate }) as (input: unknown) => unknown
    const encode = compile(Shape.ast, { json: true, generate }) as (input: unknown) => unknown
    // A required member that may be undefined must still be present.
    expect(decode({})).toBe(declined)
    expect(decode({ must: undefined })).toEqual({ must: undefined })
    expect(Object.keys(decode({ must: undefined }) as object)).toEqual(["must"])
    // An optional key may be absent, but not undefined; an optional member may be either.
    expect(decode({ must: 1, key: undefined })).toBe(declined)
    expect(Object.keys(decode({ must: 1, maybe: undefined }) as object)).toEqual(["must", "maybe"])
    // JSON leaves undefined members out, and has no NaN.
    expect(Object.keys(encode({ must: undefined, maybe: undefined }) as object)).toEqual([])
    expect(encode({ must: Number.NaN })).toBe(declined)
    expect(decode({ must: Number.NaN })).toEqual({ must: Number.NaN })
    // Members are looked up with `in`, as Effect does: an inherited `toString` is present.
    const Named = Schema.Struct({ toString: Schema.optionalKey(Schema.String) })
    expect((compile(Named.ast, { json: false, generate }) as (input: unknown) => unknown)({})).toBe(declined)
    for (const input of [{}, { must: undefined }, { must: 1, key: undefined }, { must: 1, maybe: undefined }]) {
      const slow = Schema.decodeUnknownResult(Shape)(input)
      expect(Result.isSuccess(slow)).toBe(decode(input) !== declined)
    }
  })

  it("fixes and omits top-level members, as a catalog needs for `_tag`", () => {
    const Event = Schema.TaggedStruct("Opened", { by: Schema.String })
    const decode = compile(Event.ast, { json: false, fixed: { _tag: "Opened" } }) as (input: unknown) => unknown
    expect(decode({ by: "ann" })).toEqual({ _tag: "Opened", by: "ann" })
    expect(Object.keys(decode({ by: "ann" }) as object)).toEqual(["_tag", "by"])
    const encode = compile(Event.ast, { json: true, omit: ["_tag"] }) as (input: unknown) => unknown
    expect(encode({ _tag: "Opened", by: "ann", extra: 1 })).toEqual({ by: "ann" })
    expect(encode({ _tag: "Opened" })).toBe(declined)
  })

  it("leaves schemas it does not understand to Effect", () => {
    const Shape = Schema.Struct({ kind: Schema.Literal("a"), n: Schema.Number })
    for (const schema of [
      Schema.NumberFromString,
      Schema.Date,
      Schema.Struct({ at: Schema.DateTimeUtcFromString }),
      Schema.Record(Schema.String, Schema.Number),
      Schema.Tuple([Schema.String, Schema.Number]),
      Schema.Union([Shape, Schema.Struct({ kind: Schema.Literal("b") })]),
      Schema.NullOr(Schema.Union([Shape, Schema.Struct({ kind: Schema.Literal("c") })])),
      Schema.BigInt,
      Schema.Unknown
    ]) {
      expect(compile((schema as { readonly ast: Schema.Top["ast"] }).ast, { json: false })).toBeUndefined()
    }
  })
})
