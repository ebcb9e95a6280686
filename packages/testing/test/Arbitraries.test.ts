import { Arbitraries } from "@vouch/testing"
import { DateTime, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"

describe("Arbitraries.fromSchema", () => {
  it("generates only values the schema accepts, across literals, bounds, optional keys, records, tuples and unions", () => {
    const schema = Schema.Union([
      Schema.TaggedStruct("A", {
        score: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5 })),
        name: Schema.String.check(Schema.isMinLength(2), Schema.isMaxLength(4)),
        note: Schema.optionalKey(Schema.String),
        tags: Schema.Array(Schema.Literals(["x", "y"])),
        counts: Schema.Record(Schema.String, Schema.Number),
        pair: Schema.Tuple([Schema.Boolean, Schema.NullOr(Schema.Number)]),
        at: Schema.DateTimeUtc
      }),
      Schema.TaggedStruct("B", {})
    ])
    const is = Schema.is(schema)
    const samples = fc.sample(Arbitraries.fromSchema(schema), 300)
    expect(samples.every(is)).toBe(true)
    const a = samples.filter((s) => s._tag === "A")
    expect(a.length).toBeGreaterThan(50)
    expect(new Set(a.map((s) => (s as { score: number }).score))).toEqual(new Set([1, 2, 3, 4, 5]))
    expect(a.some((s) => "note" in s) && a.some((s) => !("note" in s))).toBe(true)
    expect(a.every((s) => DateTime.isDateTime((s as { at: unknown }).at))).toBe(true)
  })

  it("asks for an override for declarations it cannot know", () => {
    class Money {
      constructor(readonly cents: number) {}
    }
    const schema = Schema.instanceOf(Money)
    expect(() => Arbitraries.fromSchema(schema)).toThrow(/no generator for declaration/)
    const overridden = Arbitraries.fromSchema(Schema.Struct({ price: schema }), [
      [schema, fc.nat().map((n) => new Money(n))]
    ])
    expect(fc.sample(overridden, 5).every((v) => v.price instanceof Money)).toBe(true)
  })
})
