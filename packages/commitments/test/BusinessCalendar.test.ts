import { readFileSync } from "node:fs"
import { DateTime, Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { BusinessCalendar, Target } from "../src/index.ts"

const cn = Result.getOrThrow(
  BusinessCalendar.fromJson(
    readFileSync(new URL("../calendars/cn-mainland-2024-2025.json", import.meta.url), "utf8")
  ) as Result.Result<BusinessCalendar.BusinessCalendar, unknown>
)

const office = [
  { from: "09:00", to: "12:00" },
  { from: "13:30", to: "18:00" }
]
const berlinHours = [{ from: "01:00", to: "04:00" }]

const make = (timeZone: string, weekly: BusinessCalendar.WeeklyHours, id = "test") =>
  Schema.decodeUnknownSync(BusinessCalendar.BusinessCalendar)({
    id,
    timeZone,
    versions: [{ version: 1, effectiveFrom: "2020-01-01", weekly, holidays: [], makeUpDays: [] }]
  })

const allDay = [{ from: "00:00", to: "24:00" }]
const always = make("Europe/Berlin", {
  monday: allDay,
  tuesday: allDay,
  wednesday: allDay,
  thursday: allDay,
  friday: allDay,
  saturday: allDay,
  sunday: allDay
})
const berlinNight = make("Europe/Berlin", {
  monday: berlinHours,
  tuesday: berlinHours,
  wednesday: berlinHours,
  thursday: berlinHours,
  friday: berlinHours,
  saturday: berlinHours,
  sunday: berlinHours
})
const newYork = make("America/New_York", {
  monday: office,
  tuesday: office,
  wednesday: office,
  thursday: office,
  friday: office
})

const at = (iso: string) => DateTime.makeUnsafe(iso)
const iso = (d: DateTime.DateTime) => DateTime.formatIso(DateTime.toUtc(d))
const H = 3_600_000
const M = 60_000

describe("BusinessCalendar schema", () => {
  it("loads the China mainland 2024–2025 calendar from JSON", () => {
    expect(cn.timeZone).toBe("Asia/Shanghai")
    expect(cn.versions.map((v) => v.version)).toEqual([1, 2])
    expect(cn.versions[1]?.makeUpDays.map((d) => d.date)).toContain("2025-01-26")
  })

  it("refuses an unknown time zone, a bad interval and a duplicated date", () => {
    const bad = (value: unknown) => Result.isFailure(BusinessCalendar.decode(value))
    const base = { id: "x", timeZone: "Asia/Shanghai", versions: [] as Array<unknown> }
    const v = { version: 1, effectiveFrom: "2024-01-01", weekly: { monday: office }, holidays: [], makeUpDays: [] }
    expect(bad({ ...base, versions: [v] })).toBe(false)
    expect(bad({ ...base, timeZone: "Mars/Olympus", versions: [v] })).toBe(true)
    expect(bad({ ...base, timeZone: "+08:00", versions: [v] })).toBe(true)
    expect(bad({ ...base, versions: [{ ...v, weekly: { monday: [{ from: "12:00", to: "09:00" }] } }] })).toBe(true)
    expect(bad({ ...base, versions: [{ ...v, weekly: { monday: [{ from: "09:00", to: "24:30" }] } }] })).toBe(true)
    expect(
      bad({
        ...base,
        versions: [{ ...v, holidays: [{ date: "2024-02-04" }], makeUpDays: [{ date: "2024-02-04", hours: office }] }]
      })
    ).toBe(true)
    expect(bad({ ...base, versions: [{ ...v, holidays: [{ date: "2024-02-30" }] }] })).toBe(true)
  })
})

describe("BusinessCalendar worked examples (Asia/Shanghai office hours)", () => {
  it("a Friday-evening receipt is due on Monday afternoon", () => {
    // Fri 2024-03-08 19:00 Shanghai (11:00Z): closed. 24 business hours = 3.2 working days of 7.5 h.
    const d = BusinessCalendar.addBusinessTime(cn, at("2024-03-08T11:00:00Z"), 24 * H)
    // Mon 7.5, Tue 7.5, Wed 7.5 = 22.5 h; the last 1.5 h on Thursday 09:00–10:30 local.
    expect(iso(d.due)).toBe("2024-03-14T02:30:00.000Z")
    expect(d).toMatchObject({ calendarId: "cn-mainland", calendarVersion: 1 })
  })

  it("the lunch break does not count", () => {
    // Mon 2024-03-11 11:00 local + 2 business hours: 1 h until 12:00, then 13:30 + 1 h = 14:30.
    const d = BusinessCalendar.addBusinessTime(cn, at("2024-03-11T03:00:00Z"), 2 * H)
    expect(iso(d.due)).toBe("2024-03-11T06:30:00.000Z")
    expect(BusinessCalendar.isOpen(cn, at("2024-03-11T04:30:00Z"))).toBe(false) // 12:30 local
    expect(iso(BusinessCalendar.nextOpening(cn, at("2024-03-11T04:30:00Z")))).toBe("2024-03-11T05:30:00.000Z")
  })

  it("a deadline that uses up exactly the rest of an interval is due at the closing instant", () => {
    // Mon 11:00 local + 1 h = 12:00 local, not 13:30.
    const d = BusinessCalendar.addBusinessTime(cn, at("2024-03-11T03:00:00Z"), 1 * H)
    expect(iso(d.due)).toBe("2024-03-11T04:00:00.000Z")
    expect(BusinessCalendar.isOpen(cn, d.due)).toBe(false)
  })

  it("the Spring Festival week with make-up days (2024)", () => {
    // Fri 2024-02-09 17:00 local + 2 h: 1 h on Friday, then the holiday Feb 10–17, the make-up
    // Sunday Feb 18 opens at 09:00 → due 10:00 on Sunday.
    const d = BusinessCalendar.addBusinessTime(cn, at("2024-02-09T09:00:00Z"), 2 * H)
    expect(iso(d.due)).toBe("2024-02-18T02:00:00.000Z")
    // Sunday Feb 4 is a make-up working day, Monday Feb 12 a holiday.
    expect(BusinessCalendar.isOpen(cn, at("2024-02-04T02:00:00Z"))).toBe(true)
    expect(BusinessCalendar.isOpen(cn, at("2024-02-12T02:00:00Z"))).toBe(false)
  })

  it("2025 Spring Festival and National Day from the version published in November 2024", () => {
    // Version 2 is in force from 2024-11-12; Jan 26 2025 (Sunday) is a make-up day.
    const receipt = at("2025-01-24T10:00:00Z") // Fri 18:00 local, closing instant
    const d = BusinessCalendar.addWorkingDays(cn, receipt, 2)
    // Working days after Friday: Sun Jan 26 (make-up), Mon Jan 27 → close 18:00 on Jan 27.
    expect(iso(d.due)).toBe("2025-01-27T10:00:00.000Z")
    expect(d.calendarVersion).toBe(2)
    // National Day 2025: Oct 1–8 off, Sat Oct 11 worked.
    const n = BusinessCalendar.addWorkingDays(cn, at("2025-09-30T02:00:00Z"), 2)
    expect(iso(n.due)).toBe("2025-10-10T10:00:00.000Z")
    const m = BusinessCalendar.addWorkingDays(cn, at("2025-09-30T02:00:00Z"), 3)
    expect(iso(m.due)).toBe("2025-10-11T10:00:00.000Z")
  })

  it("7 working days, with and without the day of receipt", () => {
    // Mon 2024-09-23 10:00 local. Working days after: 24,25,26,27, Sun 29 (make-up), 30, Oct 8.
    const start = at("2024-09-23T02:00:00Z")
    expect(iso(BusinessCalendar.addWorkingDays(cn, start, 7).due)).toBe("2024-10-08T10:00:00.000Z")
    expect(iso(BusinessCalendar.addWorkingDays(cn, start, 7, { countReceiptDay: true }).due)).toBe(
      "2024-09-30T10:00:00.000Z"
    )
  })

  it("next business day by 16:00", () => {
    const t = Result.getOrThrow(Target.parse("next business day by 16:00 on cn-mainland"))
    const r = Result.getOrThrow(Target.resolve(t, Date.parse("2024-09-27T02:00:00Z"), BusinessCalendar.registry(cn)))
    // Friday Sep 27 → Sunday Sep 29 is a make-up working day.
    expect(new Date(r.due).toISOString()).toBe("2024-09-29T08:00:00.000Z")
  })

  it("business time between two instants", () => {
    // Fri 2024-03-08 10:00 local to Mon 2024-03-11 10:00 local: 6.5 h on Friday + 1 h Monday.
    expect(BusinessCalendar.businessTimeBetween(cn, at("2024-03-08T02:00:00Z"), at("2024-03-11T02:00:00Z"))).toBe(
      7.5 * H
    )
  })
})

describe("BusinessCalendar across daylight-saving changes", () => {
  it("Europe/Berlin spring forward: 01:00–04:00 lasts two hours on 2024-03-31", () => {
    const compiled = BusinessCalendar.compileAt(berlinNight, Date.parse("2024-03-31T00:00:00Z"))
    const start = Date.parse("2024-03-30T23:00:00Z") // 00:00 CET
    expect(compiled.between(start, Date.parse("2024-03-31T12:00:00Z"))).toBe(2 * H)
    expect(compiled.between(Date.parse("2024-03-29T23:00:00Z"), Date.parse("2024-03-30T12:00:00Z"))).toBe(3 * H)
    // Fall back on 2024-10-27: 01:00 CEST → 04:00 CET is four hours.
    expect(compiled.between(Date.parse("2024-10-26T21:00:00Z"), Date.parse("2024-10-27T12:00:00Z"))).toBe(4 * H)
  })

  it("a non-existent opening time shifts forward; an ambiguous one takes the earlier instant", () => {
    const gap = make("Europe/Berlin", { sunday: [{ from: "02:30", to: "05:00" }] })
    const c = BusinessCalendar.compileAt(gap, 0)
    const spring = c.intervalsOfDay(Date.UTC(2024, 2, 31) / 86_400_000)
    expect([...spring].map((x) => new Date(x).toISOString())).toEqual([
      "2024-03-31T01:30:00.000Z", // 02:30 does not exist: 03:30 CEST
      "2024-03-31T03:00:00.000Z"
    ])
    const fall = c.intervalsOfDay(Date.UTC(2024, 9, 27) / 86_400_000)
    expect(new Date(fall[0] as number).toISOString()).toBe("2024-10-27T00:30:00.000Z") // first 02:30 (CEST)
  })

  it("America/New_York: a Friday receipt over the November change", () => {
    // Fri 2024-11-01 17:00 EDT (21:00Z) + 2 business hours → Mon 2024-11-04 10:00 EST (15:00Z).
    const d = BusinessCalendar.addBusinessTime(newYork, at("2024-11-01T21:00:00Z"), 2 * H)
    expect(iso(d.due)).toBe("2024-11-04T15:00:00.000Z")
  })
})

describe("BusinessCalendar properties", () => {
  const calendars = [
    BusinessCalendar.compileAt(cn, Date.parse("2025-01-01T00:00:00Z")),
    BusinessCalendar.compile(newYork, newYork.versions[0] as BusinessCalendar.Version),
    BusinessCalendar.compile(berlinNight, berlinNight.versions[0] as BusinessCalendar.Version)
  ]
  const calendar = fc.constantFrom(...calendars)
  const instant = fc.integer({ min: Date.parse("2024-01-01T00:00:00Z"), max: Date.parse("2025-12-01T00:00:00Z") })
  const duration = fc.oneof(
    fc.integer({ min: 0, max: 200 * H }),
    fc.integer({ min: 0, max: 600 }).map((m) => m * M)
  )

  it("adding d1 then d2 equals adding d1 + d2", () => {
    fc.assert(
      fc.property(calendar, instant, duration, duration, (c, t, d1, d2) => {
        expect(c.add(c.add(t, d1), d2)).toBe(c.add(t, d1 + d2))
      }),
      { numRuns: 500 }
    )
  })

  it("business time between t and t + d equals d", () => {
    fc.assert(
      fc.property(calendar, instant, duration, (c, t, d) => {
        expect(c.between(t, c.add(t, d))).toBe(d)
      }),
      { numRuns: 500 }
    )
  })

  it("results never fall inside closed time except at a closing instant", () => {
    fc.assert(
      fc.property(calendar, instant, fc.integer({ min: 1, max: 200 * H }), (c, t, d) => {
        const due = c.add(t, d)
        expect(c.isOpen(due) || c.isOpen(due - 1)).toBe(true)
      }),
      { numRuns: 500 }
    )
  })

  it("is monotone in both arguments", () => {
    fc.assert(
      fc.property(calendar, instant, instant, duration, duration, (c, t1, t2, d1, d2) => {
        const [ta, tb] = t1 <= t2 ? [t1, t2] : [t2, t1]
        const [da, db] = d1 <= d2 ? [d1, d2] : [d2, d1]
        expect(c.add(ta, da)).toBeLessThanOrEqual(c.add(tb, da))
        expect(c.add(ta, da)).toBeLessThanOrEqual(c.add(ta, db))
        expect(c.between(ta, tb)).toBeGreaterThanOrEqual(0)
      }),
      { numRuns: 500 }
    )
  })

  it("a calendar open 24×7 (in a DST zone) agrees with plain clock arithmetic", () => {
    const c = BusinessCalendar.compile(always, always.versions[0] as BusinessCalendar.Version)
    fc.assert(
      fc.property(instant, duration, instant, (t, d, u) => {
        expect(c.add(t, d)).toBe(t + d)
        expect(c.between(t, u)).toBe(u - t)
        expect(c.isOpen(t)).toBe(true)
      }),
      { numRuns: 500 }
    )
  })

  it("next opening is open and nothing before it is", () => {
    fc.assert(
      fc.property(calendar, instant, (c, t) => {
        const o = c.nextOpening(t)
        expect(o).toBeGreaterThanOrEqual(t)
        expect(c.isOpen(o)).toBe(true)
        expect(c.between(t, o)).toBe(0)
      }),
      { numRuns: 300 }
    )
  })
})

describe("Target", () => {
  it("parses the human forms", () => {
    expect(Result.getOrThrow(Target.parse("24 hours"))).toEqual({ _tag: "CalendarDuration", amount: 24, unit: "hours" })
    expect(Result.getOrThrow(Target.parse("24 business hours on cn-mainland"))).toMatchObject({
      _tag: "BusinessDuration",
      calendar: "cn-mainland"
    })
    expect(Result.getOrThrow(Target.parse("7 working days", { calendar: "cn-mainland" }))).toMatchObject({
      _tag: "WorkingDays",
      days: 7,
      countReceiptDay: false
    })
  })

  it('refuses an unqualified "24h" with a message naming the kinds', () => {
    const parsed = Target.parse("24h")
    expect(Result.isFailure(parsed) && parsed.failure.reason).toMatch(/CalendarDuration.*BusinessDuration.*WorkingDays/)
    const decoded = Schema.decodeUnknownResult(Target.Target)("24h")
    expect(Result.isFailure(decoded) && decoded.failure.message).toMatch(
      /must be one of: CalendarDuration.*BusinessDuration.*WorkingDays.*NextBusinessDayBy.*DueAt/
    )
    expect(Result.isFailure(Schema.decodeUnknownResult(Target.Target)({ hours: 24 }))).toBe(true)
  })

  it("round-trips through JSON", () => {
    const t = Target.DueAt.make({ at: DateTime.makeUnsafe("2024-05-01T10:00:00Z") })
    const encoded = Schema.encodeSync(Target.Target)(t)
    expect(encoded).toEqual({ _tag: "DueAt", at: "2024-05-01T10:00:00.000Z" })
    expect(Schema.decodeUnknownSync(Target.Target)(encoded)).toEqual(t)
  })
})
