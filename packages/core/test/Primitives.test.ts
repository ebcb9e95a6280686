import { Checkpoint, Event, EventId, ExpectedVersion, Idempotency, Json, StreamId } from "@vouch/core"
import { Result } from "effect"
import fc from "fast-check"
import { validate as uuidValidate, version as uuidVersion } from "uuid"
import { describe, expect, it } from "vitest"

describe("StreamId", () => {
  it("accepts printable ids up to the limit, including hostile-looking ones", () => {
    for (const id of ["complaint-1", "../../etc/passwd", "流-😀", "x".repeat(StreamId.maxLength)]) {
      expect(Result.isSuccess(StreamId.parse(id))).toBe(true)
    }
  })
  it("refuses empty, over-long, padded and control-character ids with a clear reason", () => {
    const reasons = ["", "x".repeat(513), "a\nb", "a\u0000b", " a", "a\u009f", "\udc00"].map((id) => {
      const result = StreamId.parse(id)
      return Result.isFailure(result) ? result.failure.reason : "accepted"
    })
    expect(reasons).toEqual([
      "must not be empty",
      "must be at most 512 characters, got 513",
      "must not contain control characters or unpaired surrogates",
      "must not contain control characters or unpaired surrogates",
      "must not start or end with whitespace",
      "must not contain control characters or unpaired surrogates",
      "must not contain control characters or unpaired surrogates"
    ])
    expect(() => StreamId.unsafeMake("")).toThrow(/must not be empty/)
  })
  it("builds entity stream ids from a category", () => {
    expect(StreamId.forEntity("complaint", "42")).toEqual(Result.succeed("complaint-42"))
  })
})

describe("Checkpoint", () => {
  it("orders like the numbers it encodes, one part or several", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 2, maxLength: 2 }),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 2, maxLength: 2 }),
        (a, b) => {
          const byNumbers = a[0]! !== b[0]! ? (a[0]! < b[0]! ? -1 : 1) : a[1]! === b[1]! ? 0 : a[1]! < b[1]! ? -1 : 1
          expect(Checkpoint.compare(Checkpoint.fromParts(a), Checkpoint.fromParts(b))).toBe(byNumbers)
          expect(Checkpoint.toParts(Checkpoint.fromParts(a), 2)).toEqual(Result.succeed(a))
        }
      )
    )
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        expect(Math.sign(Checkpoint.compare(Checkpoint.fromNumber(a), Checkpoint.fromNumber(b)))).toBe(Math.sign(a - b))
        expect(Checkpoint.fromNumber(a)).toBe(Checkpoint.fromParts([a]))
      })
    )
  })
  it("puts the beginning before every position and decodes it as zeros", () => {
    expect(Checkpoint.compare(Checkpoint.beginning, Checkpoint.fromNumber(0))).toBe(-1)
    expect(Checkpoint.toNumber(Checkpoint.beginning)).toEqual(Result.succeed(0))
    expect(Checkpoint.max(Checkpoint.fromNumber(3), Checkpoint.fromNumber(2))).toBe(Checkpoint.fromNumber(3))
  })
  it("refuses checkpoints of another shape", () => {
    for (const bad of ["12", "zz00000000000000", `${Checkpoint.fromNumber(1)}.${Checkpoint.fromNumber(2)}`]) {
      const result = Checkpoint.toNumber(bad)
      expect(Result.isFailure(result) && result.failure._tag).toBe("InvalidCheckpoint")
    }
    expect(() => Checkpoint.fromParts([-1])).toThrow(RangeError)
  })
})

describe("ExpectedVersion", () => {
  it("defines every mode on new and existing streams", () => {
    const table = [
      ExpectedVersion.any,
      ExpectedVersion.noStream,
      ExpectedVersion.streamExists,
      ExpectedVersion.exact(0),
      ExpectedVersion.exact(2)
    ].map((expected) => [0, 2].map((current) => ExpectedVersion.isSatisfiedBy(expected, current)))
    expect(table).toEqual([
      [true, true],
      [true, false],
      [false, true],
      [true, false],
      [false, true]
    ])
    expect(ExpectedVersion.pinnedVersion(ExpectedVersion.noStream)).toBe(0)
    expect(ExpectedVersion.pinnedVersion(ExpectedVersion.exact(4))).toBe(4)
    expect(ExpectedVersion.pinnedVersion(ExpectedVersion.any)).toBeUndefined()
    expect(ExpectedVersion.format(ExpectedVersion.exact(4))).toBe("version 4")
  })
})

describe("Json.snapshot", () => {
  it("returns a deeply frozen, equal copy of any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = Json.snapshot(value)
        expect(Result.isSuccess(copy)).toBe(true)
        const json = Result.getOrThrow(copy)
        expect(JSON.stringify(json)).toBe(JSON.stringify(value))
        if (typeof json === "object" && json !== null) {
          expect(Object.isFrozen(json)).toBe(true)
          expect(json).not.toBe(value)
        }
      })
    )
  })
  it("keeps __proto__ as a plain key without touching prototypes", () => {
    const value = JSON.parse('{"__proto__": {"admin": true}}')
    const copy = Result.getOrThrow(Json.snapshot(value)) as Record<string, unknown>
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(["__proto__"])
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })
  it("says where a value stops being JSON", () => {
    const failure = (value: unknown) => {
      const result = Json.snapshot(value)
      return Result.isFailure(result) ? result.failure : "ok"
    }
    expect(failure({ a: [1, { b: Number.NaN }] })).toBe("data.a[1].b is NaN, which JSON cannot hold")
    expect(failure({ f: () => 1 })).toBe("data.f is a function, which JSON cannot hold")
    expect(failure({ d: new Date(0) })).toBe("data.d is a Date, not a plain object")
    let deep: unknown = 1
    for (let i = 0; i < 300; i++) deep = [deep]
    expect(failure(deep)).toMatch(/nested deeper than 256 levels/)
    expect(failure({ skip: undefined, keep: 1 })).toBe("ok")
  })
})

describe("Event.prepareAppend", () => {
  const event = (overrides: Partial<Event.NewEvent> = {}): Event.NewEvent => ({
    eventId: EventId.make(),
    eventType: "t/Happened",
    schemaVersion: 1,
    data: { a: 1 },
    metadata: { actor: "me" },
    ...overrides
  })
  it("validates and freezes every event", () => {
    const prepared = Result.getOrThrow(Event.prepareAppend("s-1", [event(), event()]))
    expect(prepared.streamId).toBe("s-1")
    expect(prepared.events.every((e) => Object.isFrozen(e) && Object.isFrozen(e.data))).toBe(true)
  })
  it("refuses bad ids, types, versions, metadata and repeated ids", () => {
    const refused = (events: ReadonlyArray<Event.NewEvent>) => {
      const result = Event.prepareAppend("s-1", events)
      return Result.isFailure(result) ? result.failure.message : "accepted"
    }
    const same = event()
    expect(refused([event({ eventId: "nope" })])).toMatch(/is not a uuid/)
    expect(refused([event({ eventType: "x".repeat(257) })])).toMatch(/event type must be/)
    expect(refused([event({ schemaVersion: 1.5 })])).toMatch(/schema version/)
    expect(refused([event({ metadata: { correlationId: 7 } as unknown as Event.EventMetadata })])).toMatch(
      /correlationId/
    )
    expect(refused([same, same])).toMatch(/appears twice/)
    expect(Result.isFailure(Event.prepareAppend("", [event()]))).toBe(true)
  })
})

describe("EventId", () => {
  it("makes distinct, valid uuid v7 ids", () => {
    const ids = Array.from({ length: 10_000 }, EventId.make)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.every((id) => EventId.isValid(id) && id[14] === "7")).toBe(true)
  })
  it("carries the creation time, the version and the variant, in lower case", () => {
    const before = Date.now()
    const ids = Array.from({ length: 70_000 }, EventId.make) // more than one refill of the random pool
    const after = Date.now()
    for (const id of [ids[0] as string, ids[ids.length - 1] as string]) {
      expect(uuidValidate(id) && uuidVersion(id)).toBe(7)
      expect(id).toBe(id.toLowerCase())
      const millis = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
      expect(millis).toBeGreaterThanOrEqual(before)
      expect(millis).toBeLessThanOrEqual(after)
    }
    expect(ids.every((id) => "89ab".includes(id[19] as string))).toBe(true)
    // Time-ordered to the millisecond: the 48-bit prefix never goes backwards.
    const prefixes = ids.map((id) => id.slice(0, 13))
    expect(prefixes.every((p, i) => i === 0 || (prefixes[i - 1] as string) <= p)).toBe(true)
    // The random part really varies: every hexadecimal digit shows up in every random position.
    for (const at of [15, 16, 17, 20, 21, 22, 24, 35]) {
      expect(new Set(ids.slice(0, 2000).map((id) => id[at])).size).toBe(16)
    }
  })
})

describe("Idempotency.check", () => {
  const stored = new Map<string, Idempotency.Location>([
    ["a", { streamId: "s", streamVersion: 3 }],
    ["b", { streamId: "s", streamVersion: 4 }]
  ])
  const request = (...ids: Array<string>): Event.PreparedAppend => ({
    streamId: StreamId.unsafeMake("s"),
    events: ids.map((eventId) => ({ eventId, eventType: "t", schemaVersion: 1, data: null, metadata: {} }))
  })
  const verdict = (ids: Array<string>, expected: ExpectedVersion.ExpectedVersion) => {
    const result = Idempotency.check(request(...ids), expected, (id) => stored.get(id))
    return Result.isSuccess(result) ? result.success : result.failure._tag
  }
  it("recognises a retry at the pinned position, or anywhere for Any", () => {
    expect(verdict(["a", "b"], ExpectedVersion.exact(2))).toEqual({
      _tag: "Duplicate",
      firstVersion: 3,
      lastVersion: 4
    })
    expect(verdict(["a", "b"], ExpectedVersion.any)).toEqual({ _tag: "Duplicate", firstVersion: 3, lastVersion: 4 })
    expect(verdict(["c"], ExpectedVersion.any)).toEqual({ _tag: "Fresh" })
  })
  it("refuses the same ids elsewhere, in another order, or mixed with new ones", () => {
    expect(verdict(["a", "b"], ExpectedVersion.exact(4))).toBe("DuplicateEventId")
    expect(verdict(["a", "b"], ExpectedVersion.noStream)).toBe("DuplicateEventId")
    expect(verdict(["b", "a"], ExpectedVersion.any)).toBe("DuplicateEventId")
    expect(verdict(["c", "a"], ExpectedVersion.any)).toBe("DuplicateEventId")
    expect(verdict(["a"], ExpectedVersion.any)).toEqual({ _tag: "Duplicate", firstVersion: 3, lastVersion: 3 })
  })
})

describe("StreamId as an Effect and a schema", () => {
  it("fails with InvalidStreamId in the error channel, and the schema refuses what parse refuses", async () => {
    const { Effect, Exit, Schema } = await import("effect")
    expect(await Effect.runPromise(StreamId.make("ok-1"))).toBe("ok-1")
    const exit = await Effect.runPromiseExit(StreamId.make("bad\nid"))
    expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/InvalidStreamId/)
    expect(Schema.is(StreamId.StreamIdSchema)("complaint-1")).toBe(true)
    expect(Schema.is(StreamId.StreamIdSchema)("")).toBe(false)
  })
})
