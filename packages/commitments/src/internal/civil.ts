/**
 * Civil-calendar arithmetic on plain numbers: local dates as day numbers (days since
 * 1970-01-01) and times of day as minutes. Pure integer math, no time zone involved, so the
 * calendar can walk days without touching Intl.
 */

const DAY = 86_400_000

/** Days since 1970-01-01 of a `YYYY-MM-DD` date (the civil date, not an instant). */
export const dayNumber = (date: string): number => {
  const year = Number(date.slice(0, 4))
  const month = Number(date.slice(5, 7))
  const day = Number(date.slice(8, 10))
  return Math.floor(Date.UTC(year, month - 1, day) / DAY)
}

/** The `YYYY-MM-DD` form of a day number. */
export const formatDay = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10)

/** Year, month (1-12) and day of a day number. */
export const partsOfDay = (day: number): { readonly year: number; readonly month: number; readonly day: number } => {
  const date = new Date(day * DAY)
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }
}

/** ISO weekday of a day number: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
export const isoWeekday = (day: number): number => ((((day + 3) % 7) + 7) % 7) + 1

/** Whether `date` is a real `YYYY-MM-DD` date (no 2024-02-30). */
export const isValidDate = (date: string): boolean => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false
  return formatDay(dayNumber(date)) === date
}

/** Minutes after midnight of `HH:MM` (24:00 is 1440). */
export const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))

/** The UTC day number containing an instant; a local date is within one day of it. */
export const utcDay = (millis: number): number => Math.floor(millis / DAY)

/** Milliseconds in a civil day without a time-zone change. */
export const dayMillis = DAY
