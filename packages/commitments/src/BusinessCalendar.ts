/**
 * Business calendars answer "when is this due?" and "how much working time passed?" in the
 * calendar's own IANA time zone, across weekends, public holidays, make-up working days and
 * daylight-saving changes. A calendar is plain data (loadable from JSON) with versions that take
 * effect from a local date; a computation pins one version and every deadline records it.
 *
 * Instants are UTC. Local opening times are converted with effect's named time zones (Intl), never
 * with fixed offsets. A local time that does not exist (spring-forward gap) shifts forward by the
 * length of the gap (02:30 becomes 03:30); an ambiguous local time (fall-back overlap) takes the
 * earlier instant. This is effect's "compatible" disambiguation.
 *
 * The hot path never calls Intl: each version compiles lazily into per-day opening intervals in
 * UTC milliseconds, cached per calendar object and version, and the operations walk those arrays.
 */
import { DateTime, Option, Result, Schema } from "effect"
import * as Civil from "./internal/civil.ts"

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

/** A civil date `YYYY-MM-DD` in the calendar's zone. */
export const LocalDate = Schema.String.check(
  Schema.makeFilter((s: string) => Civil.isValidDate(s) || `expected a date YYYY-MM-DD, got ${JSON.stringify(s)}`)
)

/** A local time of day `HH:MM`, from 00:00 to 24:00 (24:00 only closes an interval). */
export const TimeOfDay = Schema.String.check(
  Schema.makeFilter(
    (s: string) =>
      /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/.test(s) ||
      `expected a time HH:MM between 00:00 and 24:00, got ${JSON.stringify(s)}`
  )
)

/** One opening interval of a day, local time: open at `from`, closed from `to` on. */
export const Interval = Schema.Struct({ from: TimeOfDay, to: TimeOfDay }).check(
  Schema.makeFilter(
    (i: { readonly from: string; readonly to: string }) =>
      Civil.minutesOf(i.from) < Civil.minutesOf(i.to) || `interval ${i.from}–${i.to} must end after it starts`
  )
)
export type Interval = typeof Interval.Type

/** The opening intervals of one day, in order and not overlapping (a lunch break is a gap). */
export const DayHours = Schema.Array(Interval).check(
  Schema.makeFilter((intervals: ReadonlyArray<Interval>) => {
    for (let i = 1; i < intervals.length; i++) {
      const previous = intervals[i - 1] as Interval
      const current = intervals[i] as Interval
      if (Civil.minutesOf(current.from) < Civil.minutesOf(previous.to)) {
        return `intervals must be in order and not overlap: ${previous.from}–${previous.to} then ${current.from}–${current.to}`
      }
    }
    return true
  })
)
export type DayHours = typeof DayHours.Type

/** Weekly opening hours; a missing day is closed. */
export const WeeklyHours = Schema.Struct({
  monday: Schema.optionalKey(DayHours),
  tuesday: Schema.optionalKey(DayHours),
  wednesday: Schema.optionalKey(DayHours),
  thursday: Schema.optionalKey(DayHours),
  friday: Schema.optionalKey(DayHours),
  saturday: Schema.optionalKey(DayHours),
  sunday: Schema.optionalKey(DayHours)
})
export type WeeklyHours = typeof WeeklyHours.Type

/** A public holiday: the whole local date is closed. */
export const Holiday = Schema.Struct({ date: LocalDate, name: Schema.optionalKey(Schema.String) })
export type Holiday = typeof Holiday.Type

/** A make-up working day (调休): a date, usually a weekend, that is worked with its own hours. */
export const MakeUpDay = Schema.Struct({ date: LocalDate, hours: DayHours, name: Schema.optionalKey(Schema.String) })
export type MakeUpDay = typeof MakeUpDay.Type

const weekdayKeys = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const

/** One version of a calendar's rules, in force from `effectiveFrom` (a local date) on. */
export const Version = Schema.Struct({
  version: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  effectiveFrom: LocalDate,
  weekly: WeeklyHours,
  holidays: Schema.Array(Holiday),
  makeUpDays: Schema.Array(MakeUpDay)
}).check(
  Schema.makeFilter((v: typeof Version.Type) => {
    // Without any weekly opening the calendar could never reach a deadline.
    if (!weekdayKeys.some((key) => (v.weekly[key]?.length ?? 0) > 0)) return "weekly hours must open at least once"
    const seen = new Set<string>()
    for (const date of [...v.holidays.map((h) => h.date), ...v.makeUpDays.map((m) => m.date)]) {
      if (seen.has(date)) return `date ${date} is listed twice among holidays and make-up days`
      seen.add(date)
    }
    return true
  })
)
export type Version = typeof Version.Type

/** An IANA time-zone id that this runtime's Intl knows. */
export const TimeZoneId = Schema.String.check(
  Schema.makeFilter((zone: string) =>
    (zone.includes("/") || zone === "UTC") && Option.isSome(DateTime.zoneMakeNamed(zone))
      ? true
      : `expected an IANA time zone such as "Asia/Shanghai", got ${JSON.stringify(zone)}`
  )
)

/** A business calendar: an id, an IANA time zone and its versions in order of effect. */
export const BusinessCalendar = Schema.Struct({
  id: Schema.String.check(Schema.isMinLength(1)),
  name: Schema.optionalKey(Schema.String),
  timeZone: TimeZoneId,
  versions: Schema.Array(Version).check(
    Schema.makeFilter((versions: ReadonlyArray<Version>) => {
      if (versions.length === 0) return "a calendar needs at least one version"
      for (let i = 1; i < versions.length; i++) {
        const previous = versions[i - 1] as Version
        const current = versions[i] as Version
        if (current.version <= previous.version || current.effectiveFrom <= previous.effectiveFrom) {
          return "versions must be listed with increasing numbers and effective dates"
        }
      }
      return true
    })
  )
})
export type BusinessCalendar = typeof BusinessCalendar.Type

/** Decodes a calendar from parsed JSON (or any unknown value). */
export const decode = Schema.decodeUnknownResult(BusinessCalendar)

/** Decodes a calendar from JSON text. */
export const fromJson = (text: string): Result.Result<BusinessCalendar, Schema.SchemaError | SyntaxError> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    return Result.fail(error as SyntaxError)
  }
  return decode(parsed)
}

/** Calendars by id, as obligations look them up. */
export type Registry = ReadonlyMap<string, BusinessCalendar>

/** Builds a registry from calendars. */
export const registry = (...calendars: ReadonlyArray<BusinessCalendar>): Registry =>
  new Map(calendars.map((calendar) => [calendar.id, calendar]))

// ---------------------------------------------------------------------------------------------
// Compiled calendars
// ---------------------------------------------------------------------------------------------

/**
 * One calendar version compiled for fast arithmetic on UTC epoch milliseconds. Everything an
 * obligation computes goes through this interface; the DateTime functions below wrap it.
 */
export interface Compiled {
  readonly calendarId: string
  readonly version: number
  /** Whether `at` is inside an opening interval (a closing instant is closed). */
  readonly isOpen: (at: number) => boolean
  /** The first open instant at or after `at`. */
  readonly nextOpening: (at: number) => number
  /** `start` plus `duration` of business time; exactly at a closing instant when that uses up an interval. */
  readonly add: (start: number, duration: number) => number
  /** Business time from `from` to `to` (negative when `to` is earlier). */
  readonly between: (from: number, to: number) => number
  /** Close of business of the `days`-th working day after (or, when `countReceiptDay`, including) the day of `at`. */
  readonly addWorkingDays: (at: number, days: number, countReceiptDay: boolean) => number
  /** The local time `time` (HH:MM) on the first working day after the day of `at`. */
  readonly nextWorkingDayAt: (at: number, time: string) => number
  /** The opening intervals of a local day number as `[open, close, open, close, …]` in UTC millis. */
  readonly intervalsOfDay: (day: number) => Float64Array
  /** The local day number of an instant. */
  readonly localDay: (at: number) => number
}

const empty = new Float64Array(0)

/** Clock time: always open. Calendar-duration targets are measured on it. */
export const alwaysOpen: Compiled = {
  calendarId: "clock",
  version: 0,
  isOpen: () => true,
  nextOpening: (at) => at,
  add: (start, duration) => start + duration,
  between: (from, to) => to - from,
  addWorkingDays: (at, days) => at + days * Civil.dayMillis,
  nextWorkingDayAt: (at, time) => (Civil.utcDay(at) + 1) * Civil.dayMillis + Civil.minutesOf(time) * 60_000,
  intervalsOfDay: (day) => Float64Array.of(day * Civil.dayMillis, (day + 1) * Civil.dayMillis),
  localDay: Civil.utcDay
}

/** Local midnights per zone, shared by every calendar in that zone. */
const midnightsByZone = new Map<string, Map<number, number>>()

const zoneTools = (timeZone: string) => {
  const zone = DateTime.zoneMakeNamedUnsafe(timeZone)
  let midnights = midnightsByZone.get(timeZone)
  if (midnights === undefined) midnightsByZone.set(timeZone, (midnights = new Map()))
  const cachedMidnights = midnights
  /** UTC millis of local `minutes` after midnight on `day`; "compatible" disambiguation. */
  const localToUtc = (day: number, minutes: number): number => {
    const whole = day + Math.floor(minutes / 1440)
    const rest = minutes % 1440
    const { year, month, day: dayOfMonth } = Civil.partsOfDay(whole)
    return DateTime.toEpochMillis(
      DateTime.makeZonedUnsafe(
        { year, month, day: dayOfMonth, hour: Math.floor(rest / 60), minute: rest % 60, second: 0, millisecond: 0 },
        { timeZone: zone, adjustForTimeZone: true, disambiguation: "compatible" }
      )
    )
  }
  const midnight = (day: number): number => {
    let value = cachedMidnights.get(day)
    if (value === undefined) cachedMidnights.set(day, (value = localToUtc(day, 0)))
    return value
  }
  const localDay = (at: number): number => {
    const guess = Civil.utcDay(at)
    // Offsets lie within ±14 h, so the local date is the UTC date or one of its neighbours.
    for (let day = guess + 1; day >= guess - 1; day--) if (midnight(day) <= at) return day
    return guess - 2
  }
  return { localToUtc, localDay }
}

const compiledCache = new WeakMap<BusinessCalendar, Map<number, Compiled>>()

/** Compiles one version of a calendar (cached per calendar object and version). */
export const compile = (calendar: BusinessCalendar, version: Version): Compiled => {
  let byVersion = compiledCache.get(calendar)
  if (byVersion === undefined) compiledCache.set(calendar, (byVersion = new Map()))
  const cached = byVersion.get(version.version)
  if (cached !== undefined) return cached
  const compiled = compileVersion(calendar, version)
  byVersion.set(version.version, compiled)
  return compiled
}

const compileVersion = (calendar: BusinessCalendar, version: Version): Compiled => {
  const { localToUtc, localDay } = zoneTools(calendar.timeZone)
  const holidays = new Set(version.holidays.map((h) => Civil.dayNumber(h.date)))
  const makeUp = new Map(version.makeUpDays.map((m) => [Civil.dayNumber(m.date), m.hours] as const))
  const weekly = weekdayKeys.map((key) => version.weekly[key] ?? [])
  const days = new Map<number, Float64Array>()

  const intervalsOfDay = (day: number): Float64Array => {
    const cached = days.get(day)
    if (cached !== undefined) return cached
    const hours = makeUp.get(day) ?? (holidays.has(day) ? [] : (weekly[Civil.isoWeekday(day) - 1] as DayHours))
    const out: Array<number> = []
    let previousEnd = Number.NEGATIVE_INFINITY
    for (const interval of hours) {
      // In a spring-forward gap a shifted opening can land after a later one; clamp so the
      // day's intervals stay ordered and disjoint.
      const open = Math.max(localToUtc(day, Civil.minutesOf(interval.from)), previousEnd)
      const close = localToUtc(day, Civil.minutesOf(interval.to))
      if (close > open) {
        out.push(open, close)
        previousEnd = close
      }
    }
    const array = out.length === 0 ? empty : Float64Array.from(out)
    days.set(day, array)
    return array
  }

  // Consecutive closed days are bounded by the listed holidays plus a week; this is a safety net.
  const horizon = version.holidays.length + 400

  const add = (start: number, duration: number): number => {
    if (duration <= 0) return start
    let remaining = duration
    let cursor = start
    let closedDays = 0
    for (let day = Civil.utcDay(start) - 1; ; day++) {
      const intervals = intervalsOfDay(day)
      if (intervals.length === 0) {
        if (++closedDays > horizon) throw new Error(`calendar ${calendar.id} never opens again`)
        continue
      }
      closedDays = 0
      for (let i = 0; i < intervals.length; i += 2) {
        const close = intervals[i + 1] as number
        if (close <= cursor) continue
        const from = Math.max(intervals[i] as number, cursor)
        const available = close - from
        if (remaining <= available) return from + remaining
        remaining -= available
        cursor = close
      }
    }
  }

  const between = (from: number, to: number): number => {
    if (to < from) return -between(to, from)
    let total = 0
    const last = Civil.utcDay(to) + 1
    for (let day = Civil.utcDay(from) - 1; day <= last; day++) {
      const intervals = intervalsOfDay(day)
      for (let i = 0; i < intervals.length; i += 2) {
        const open = Math.max(intervals[i] as number, from)
        const close = Math.min(intervals[i + 1] as number, to)
        if (close > open) total += close - open
      }
    }
    return total
  }

  const nextOpening = (at: number): number => {
    let closedDays = 0
    for (let day = Civil.utcDay(at) - 1; ; day++) {
      const intervals = intervalsOfDay(day)
      if (intervals.length === 0 && ++closedDays > horizon) throw new Error(`calendar ${calendar.id} never opens again`)
      for (let i = 0; i < intervals.length; i += 2) {
        if ((intervals[i + 1] as number) > at) return Math.max(intervals[i] as number, at)
      }
    }
  }

  const isOpen = (at: number): boolean => {
    for (let day = Civil.utcDay(at) - 1; day <= Civil.utcDay(at) + 1; day++) {
      const intervals = intervalsOfDay(day)
      for (let i = 0; i < intervals.length; i += 2) {
        if ((intervals[i] as number) <= at && at < (intervals[i + 1] as number)) return true
      }
    }
    return false
  }

  const nextWorkingDay = (day: number): number => {
    for (let next = day + 1, closed = 0; ; next++) {
      if (intervalsOfDay(next).length > 0) return next
      if (++closed > horizon) throw new Error(`calendar ${calendar.id} never opens again`)
    }
  }

  const closeOf = (day: number): number => {
    const intervals = intervalsOfDay(day)
    return intervals[intervals.length - 1] as number
  }

  const addWorkingDays = (at: number, count: number, countReceiptDay: boolean): number => {
    if (count <= 0) return at
    let day = localDay(at)
    let counted = 0
    // The day of receipt counts only when it is a working day and the case arrived before its close.
    if (countReceiptDay && intervalsOfDay(day).length > 0 && at < closeOf(day)) counted = 1
    while (counted < count) {
      day = nextWorkingDay(day)
      counted++
    }
    return closeOf(day)
  }

  const nextWorkingDayAt = (at: number, time: string): number =>
    localToUtc(nextWorkingDay(localDay(at)), Civil.minutesOf(time))

  return {
    calendarId: calendar.id,
    version: version.version,
    isOpen,
    nextOpening,
    add,
    between,
    addWorkingDays,
    nextWorkingDayAt,
    intervalsOfDay,
    localDay
  }
}

/** The version in force on the local date of `at` (the first version for earlier dates). */
export const versionAt = (calendar: BusinessCalendar, at: DateTime.DateTime | number): Version => {
  const millis = typeof at === "number" ? at : DateTime.toEpochMillis(at)
  const day = zoneTools(calendar.timeZone).localDay(millis)
  let chosen = calendar.versions[0] as Version
  for (const version of calendar.versions) if (Civil.dayNumber(version.effectiveFrom) <= day) chosen = version
  return chosen
}

/** A version by number, if the calendar has it. */
export const findVersion = (calendar: BusinessCalendar, version: number): Version | undefined =>
  calendar.versions.find((v) => v.version === version)

/** The compiled version in force at `at`. */
export const compileAt = (calendar: BusinessCalendar, at: DateTime.DateTime | number): Compiled =>
  compile(calendar, versionAt(calendar, at))

// ---------------------------------------------------------------------------------------------
// DateTime operations
// ---------------------------------------------------------------------------------------------

/** A computed due instant and the calendar version it was computed with. */
export interface Deadline {
  readonly due: DateTime.Utc
  readonly calendarId: string
  readonly calendarVersion: number
}

const millisOf = (at: DateTime.DateTime): number => DateTime.toEpochMillis(at)
const utc = (millis: number): DateTime.Utc => DateTime.makeUnsafe(millis)
const deadline = (compiled: Compiled, due: number): Deadline => ({
  due: utc(due),
  calendarId: compiled.calendarId,
  calendarVersion: compiled.version
})

/** Adds business time (milliseconds) to an instant, with the version in force at the start. */
export const addBusinessTime = (calendar: BusinessCalendar, start: DateTime.DateTime, millis: number): Deadline => {
  const compiled = compileAt(calendar, start)
  return deadline(compiled, compiled.add(millisOf(start), millis))
}

/** Business time in milliseconds between two instants, with the version in force at `from`. */
export const businessTimeBetween = (
  calendar: BusinessCalendar,
  from: DateTime.DateTime,
  to: DateTime.DateTime
): number => compileAt(calendar, from).between(millisOf(from), millisOf(to))

/** Close of business on the `days`-th working day; see `Compiled.addWorkingDays`. */
export const addWorkingDays = (
  calendar: BusinessCalendar,
  start: DateTime.DateTime,
  days: number,
  options: { readonly countReceiptDay?: boolean } = {}
): Deadline => {
  const compiled = compileAt(calendar, start)
  return deadline(compiled, compiled.addWorkingDays(millisOf(start), days, options.countReceiptDay ?? false))
}

/** The first open instant at or after `at`. */
export const nextOpening = (calendar: BusinessCalendar, at: DateTime.DateTime): DateTime.Utc =>
  utc(compileAt(calendar, at).nextOpening(millisOf(at)))

/** Whether the calendar is open at `at`. */
export const isOpen = (calendar: BusinessCalendar, at: DateTime.DateTime): boolean =>
  compileAt(calendar, at).isOpen(millisOf(at))
