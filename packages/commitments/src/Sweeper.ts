/**
 * The sweeper turns the passage of time into events. Given "now", it finds in the deadline
 * projection every open obligation whose next warning or due instant has come, and sends exactly
 * those commands (`ReachWarning`, `Breach`) through the command handler.
 *
 * It is safe to run twice and to run concurrently: each command carries an id derived from the
 * obligation, the cycle, the kind and the due instant, so a repeated command is found in the
 * stream and appends nothing; two sweepers racing on one stream meet optimistic concurrency, and
 * the loser decides again on the new state, where the obligation's decide treats an already
 * recorded warning or breach as nothing to do. Nothing is kept between runs, so after a restart
 * the next sweep (over a projection rebuilt or resumed from its checkpoint) picks up whatever is
 * overdue. It needs only the `EventStore` service, whichever store provides it.
 */
import { CommandHandler, type EventStore, Projection } from "@vouch/core"
import { DateTime, Effect, Result } from "effect"
import type * as BusinessCalendar from "./BusinessCalendar.ts"
import * as Deadlines from "./Deadlines.ts"
import * as Obligation from "./Obligation.ts"
import * as Target from "./Target.ts"

/** One command the sweeper will send, with its idempotency key. */
export interface Planned {
  readonly streamId: string
  readonly commandId: string
  readonly command: Obligation.Command
}

/** What a sweep did. */
export interface Report {
  /** Obligations whose next deadline had come. */
  readonly examined: number
  /** Commands that appended events. */
  readonly issued: number
  /** Commands already handled before (same command id) or that decided nothing. */
  readonly duplicates: number
  /** Commands refused because the obligation changed since the projection was read (e.g. paused). */
  readonly skipped: number
}

/**
 * The commands due for one entry at `now`: a breach once the due instant has passed (and then
 * no warning: warnings are never sent for a target already exceeded), otherwise every warning
 * threshold whose instant has come, lowest first.
 */
export const plan = (
  streamId: string,
  entry: Deadlines.Entry,
  calendars: BusinessCalendar.Registry,
  now: number
): ReadonlyArray<Planned> => {
  if (!entry.running || entry.breached) return []
  const at = DateTime.makeUnsafe(now)
  const key = `sweep:${streamId}:${entry.cycle}`
  if (now > entry.due) {
    return [{ streamId, commandId: `${key}:breach:${entry.due}`, command: Obligation.Breach.make({ at }) }]
  }
  const clock = Target.clockFor(entry.calendarId, 0, calendars, entry.calendarVersion)
  if (Result.isFailure(clock)) return []
  const out: Array<Planned> = []
  for (const threshold of [...entry.thresholds].sort((a, b) => a - b)) {
    if (entry.fired.includes(threshold)) continue
    const needed = (entry.budget * threshold) / 100 - entry.consumed
    const reached = needed <= 0 ? entry.runningSince : clock.success.add(entry.runningSince, needed)
    if (reached > now) break
    out.push({
      streamId,
      commandId: `${key}:warning-${threshold}:${entry.due}`,
      command: Obligation.ReachWarning.make({ at, threshold })
    })
  }
  return out
}

type Outcome = "issued" | "duplicate" | "skipped"

/** Options of a sweep. */
export interface Options {
  readonly now: DateTime.DateTime
  readonly calendars: BusinessCalendar.Registry
  /** The deadline index to sweep; by default the projection is folded live from the log. */
  readonly deadlines?: Deadlines.State
  /** Obligations handled at once (default 16). */
  readonly concurrency?: number
}

/** Sends every warning and breach that is due at `now`. */
export const sweep = (
  options: Options
): Effect.Effect<Report, CommandHandler.HandleError | Obligation.Error, EventStore.EventStore> =>
  Effect.gen(function* () {
    const now = DateTime.toEpochMillis(options.now)
    const aggregate = Obligation.makeAggregate(options.calendars)
    const deadlines = options.deadlines ?? (yield* Projection.live(Deadlines.projection(options.calendars))).state
    const due = Deadlines.dueAt(deadlines, options.now)
    const handleOne = (
      planned: Planned
    ): Effect.Effect<Outcome, CommandHandler.HandleError | Obligation.Error, EventStore.EventStore> =>
      CommandHandler.handle(aggregate, planned.streamId, planned.command, { commandId: planned.commandId }).pipe(
        Effect.map((handled): Outcome => (handled.duplicate || handled.events.length === 0 ? "duplicate" : "issued")),
        // The obligation moved on since the index was read (paused, met, re-targeted): not due any more.
        Effect.catchTag("NotDue", () => Effect.succeed<Outcome>("skipped"))
      )
    const outcomes = yield* Effect.forEach(
      due,
      ([streamId, entry]) =>
        Effect.forEach(plan(streamId, entry, options.calendars, now), handleOne, { concurrency: 1 }),
      { concurrency: options.concurrency ?? 16 }
    )
    let issued = 0
    let duplicates = 0
    let skipped = 0
    for (const list of outcomes) {
      for (const outcome of list) {
        if (outcome === "issued") issued++
        else if (outcome === "duplicate") duplicates++
        else skipped++
      }
    }
    return { examined: due.length, issued, duplicates, skipped }
  }).pipe(Effect.withSpan("Sweeper.sweep"))
