import { readFileSync } from "node:fs"
import { DateTime, Result } from "effect"
import { BusinessCalendar, Compensation, Obligation, Target } from "../src/index.ts"

/** The shipped China mainland calendar. */
export const cn = Result.getOrThrow(
  BusinessCalendar.fromJson(
    readFileSync(new URL("../calendars/cn-mainland-2024-2025.json", import.meta.url), "utf8")
  ) as Result.Result<BusinessCalendar.BusinessCalendar, unknown>
)

export const calendars = BusinessCalendar.registry(cn)
export const at = (iso: string): DateTime.Utc => DateTime.makeUnsafe(iso)
export const H = 3_600_000

/** 24 business hours on cn-mainland, warnings at 50/75/90 %, two compensation tiers. */
export const terms = (overrides: Partial<Obligation.Terms> = {}): Obligation.Terms => ({
  target: Target.businessHours(24, "cn-mainland"),
  warnings: [50, 75, 90],
  pauseStates: ["AwaitingCustomer"],
  compensation: Compensation.money("calendar", "CNY", [
    [0, 5_000],
    [24 * 60, 20_000]
  ]),
  reopen: "NewCycle",
  retarget: "KeepStart",
  ...overrides
})

export const start = (when: string, overrides: Partial<Obligation.Terms> = {}) =>
  Obligation.Start.make({
    obligationId: "o-1",
    caseId: "case-1",
    commitmentId: "complaints",
    commitmentVersion: 1,
    milestone: "FirstReply",
    terms: terms(overrides),
    at: at(when)
  })
