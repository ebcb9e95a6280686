/**
 * Targets: how long a promise gives. A target is always qualified: clock time ("24 hours"),
 * business time on a named calendar ("24 business hours"), working days ("7 working days"), or a
 * relative or explicit deadline ("next business day by 16:00", a due instant). An unqualified
 * "24h" is refused, because whether nights and weekends count is exactly what a promise must say.
 *
 * Resolving a target against a start instant gives the clock it is measured on (a compiled
 * calendar version, or plain clock time), the due instant, and the budget: the business time
 * from start to due on that clock. Pauses, warnings and breaches all work on the budget.
 */
import { DateTime, Result, Schema } from "effect"
import * as BusinessCalendar from "./BusinessCalendar.ts"

/** Clock time: nights, weekends and holidays count. */
export const CalendarDuration = Schema.TaggedStruct("CalendarDuration", {
  amount: Schema.Finite.check(Schema.isGreaterThan(0)),
  unit: Schema.Literals(["minutes", "hours", "days", "weeks"])
})

/** Business time on a named calendar: only opening hours count. */
export const BusinessDuration = Schema.TaggedStruct("BusinessDuration", {
  amount: Schema.Finite.check(Schema.isGreaterThan(0)),
  unit: Schema.Literals(["minutes", "hours"]),
  calendar: Schema.String
})

/** Due at close of business of the N-th working day of a calendar. */
export const WorkingDays = Schema.TaggedStruct("WorkingDays", {
  days: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  calendar: Schema.String,
  /** Whether the day of receipt counts as day one (when it is a working day and the case came before close). */
  countReceiptDay: Schema.Boolean
})

/** Due at a local time on the next working day after the day of receipt. */
export const NextBusinessDayBy = Schema.TaggedStruct("NextBusinessDayBy", {
  time: BusinessCalendar.TimeOfDay,
  calendar: Schema.String
})

/** An explicit due instant (e.g. the repair date promised to the customer). */
export const DueAt = Schema.TaggedStruct("DueAt", {
  at: Schema.DateTimeUtcFromString,
  /** When set, warnings and pauses are measured in this calendar's business time. */
  calendar: Schema.optionalKey(Schema.String)
})

/** What every kind of target looks like, for error messages. */
export const kinds =
  'CalendarDuration ("24 hours"), BusinessDuration ("24 business hours" on a named calendar), ' +
  'WorkingDays ("7 working days"), NextBusinessDayBy ("next business day by 16:00") or DueAt (an explicit instant)'

/** A target. The schema refuses anything else with a message naming the kinds. */
export const Target = Schema.Union([
  CalendarDuration,
  BusinessDuration,
  WorkingDays,
  NextBusinessDayBy,
  DueAt
]).annotate({ message: `A target must be one of: ${kinds}. An unqualified duration such as "24h" is not a target.` })
export type Target = typeof Target.Type

/** A target could not be read. */
export class InvalidTarget extends Schema.TaggedError<InvalidTarget>()("InvalidTarget", {
  input: Schema.String,
  reason: Schema.String
}) {}

/** A target names a calendar (or calendar version) that is not available. */
export class CalendarNotFound extends Schema.TaggedError<CalendarNotFound>()("CalendarNotFound", {
  calendar: Schema.String,
  version: Schema.optionalKey(Schema.Number)
}) {}

const unitMillis = { minutes: 60_000, hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 } as const

/** Shorthand constructors. */
export const hours = (amount: number): Target => CalendarDuration.make({ amount, unit: "hours" })
/** `amount` minutes of clock time. */
export const minutes = (amount: number): Target => CalendarDuration.make({ amount, unit: "minutes" })
/** `amount` business hours on `calendar`. */
export const businessHours = (amount: number, calendar: string): Target =>
  BusinessDuration.make({ amount, unit: "hours", calendar })
/** `days` working days on `calendar`. */
export const workingDays = (days: number, calendar: string, countReceiptDay = false): Target =>
  WorkingDays.make({ days, calendar, countReceiptDay })

/**
 * Reads the human forms: "24 hours", "15 minutes", "1 week", "24 business hours on cn-mainland",
 * "7 working days on cn-mainland" (add "including the day of receipt" to count it),
 * "next business day by 16:00 on cn-mainland", or an ISO instant. `calendar` fills in a missing
 * "on <calendar>".
 */
export const parse = (
  text: string,
  options: { readonly calendar?: string } = {}
): Result.Result<Target, InvalidTarget> => {
  const input = text.trim().toLowerCase()
  const fail = (reason: string) => Result.fail(new InvalidTarget({ input: text, reason }))
  const onCalendar = (rest: string | undefined): string | undefined => rest?.trim() || options.calendar
  let m = /^(\d+(?:\.\d+)?) (minute|hour|day|week)s?$/.exec(input)
  if (m) return Result.succeed(CalendarDuration.make({ amount: Number(m[1]), unit: `${m[2]}s` as "hours" }))
  m = /^(\d+(?:\.\d+)?) business (minute|hour)s?(?: on (\S+))?$/.exec(input)
  if (m) {
    const calendar = onCalendar(m[3])
    if (calendar === undefined) return fail(`business time needs a calendar: "${text} on <calendar>"`)
    return Result.succeed(BusinessDuration.make({ amount: Number(m[1]), unit: `${m[2]}s` as "hours", calendar }))
  }
  m = /^(\d+) working days?(?: on (\S+?))?( including the day of receipt)?$/.exec(input)
  if (m) {
    const calendar = onCalendar(m[2])
    if (calendar === undefined) return fail(`working days need a calendar: "${text} on <calendar>"`)
    return Result.succeed(WorkingDays.make({ days: Number(m[1]), calendar, countReceiptDay: m[3] !== undefined }))
  }
  m = /^next business day by (\d\d:\d\d)(?: on (\S+))?$/.exec(input)
  if (m) {
    const calendar = onCalendar(m[2])
    if (calendar === undefined) return fail(`a business day needs a calendar: "${text} on <calendar>"`)
    const time = Schema.decodeUnknownResult(BusinessCalendar.TimeOfDay)(m[1])
    if (Result.isFailure(time)) return fail(time.failure.message)
    return Result.succeed(NextBusinessDayBy.make({ time: time.success, calendar }))
  }
  const instant = DateTime.make(text.trim())
  if (instant._tag === "Some" && /^\d{4}-\d{2}-\d{2}T/.test(text.trim())) {
    return Result.succeed(DueAt.make({ at: DateTime.toUtc(instant.value) }))
  }
  return fail(`"${text}" is not a target. A target must be one of: ${kinds}.`)
}

/** A human rendering, the inverse of `parse`. */
export const format = (target: Target): string => {
  switch (target._tag) {
    case "CalendarDuration":
      return `${target.amount} ${target.unit}`
    case "BusinessDuration":
      return `${target.amount} business ${target.unit} on ${target.calendar}`
    case "WorkingDays":
      return `${target.days} working days on ${target.calendar}${target.countReceiptDay ? " including the day of receipt" : ""}`
    case "NextBusinessDayBy":
      return `next business day by ${target.time} on ${target.calendar}`
    case "DueAt":
      return DateTime.formatIso(target.at)
  }
}

/** The calendar a target is measured on, if any. */
export const calendarOf = (target: Target): string | undefined =>
  target._tag === "CalendarDuration" ? undefined : target.calendar

/** A target resolved against a start instant. */
export interface Resolved {
  /** The clock the target is measured on. */
  readonly clock: BusinessCalendar.Compiled
  /** Business time on `clock` from start to due, in milliseconds. */
  readonly budget: number
  /** The due instant, epoch milliseconds. */
  readonly due: number
}

/** The compiled clock a target is measured on: a pinned version, or the version in force at `start`. */
export const clockFor = (
  calendarId: string | undefined,
  start: number,
  calendars: BusinessCalendar.Registry,
  version?: number
): Result.Result<BusinessCalendar.Compiled, CalendarNotFound> => {
  if (calendarId === undefined) return Result.succeed(BusinessCalendar.alwaysOpen)
  const calendar = calendars.get(calendarId)
  if (calendar === undefined) return Result.fail(new CalendarNotFound({ calendar: calendarId }))
  if (version === undefined) return Result.succeed(BusinessCalendar.compileAt(calendar, start))
  const pinned = BusinessCalendar.findVersion(calendar, version)
  if (pinned === undefined) return Result.fail(new CalendarNotFound({ calendar: calendarId, version }))
  return Result.succeed(BusinessCalendar.compile(calendar, pinned))
}

/** Resolves a target from `start` (epoch millis), optionally on a pinned calendar version. */
export const resolve = (
  target: Target,
  start: number,
  calendars: BusinessCalendar.Registry,
  version?: number
): Result.Result<Resolved, CalendarNotFound> =>
  Result.map(clockFor(calendarOf(target), start, calendars, version), (clock) => {
    switch (target._tag) {
      case "CalendarDuration":
      case "BusinessDuration": {
        const budget = target.amount * unitMillis[target.unit]
        return { clock, budget, due: clock.add(start, budget) }
      }
      case "WorkingDays": {
        const due = clock.addWorkingDays(start, target.days, target.countReceiptDay)
        return { clock, budget: clock.between(start, due), due }
      }
      case "NextBusinessDayBy": {
        const due = clock.nextWorkingDayAt(start, target.time)
        return { clock, budget: clock.between(start, due), due }
      }
      case "DueAt": {
        const due = DateTime.toEpochMillis(target.at)
        return { clock, budget: clock.between(start, due), due }
      }
    }
  })
