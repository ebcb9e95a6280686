import { readFileSync } from "node:fs"
import { BusinessCalendar } from "@vouch/commitments"
import { Decider } from "@vouch/core"
import { DateTime, Result } from "effect"
import { Complaint } from "../src/index.ts"

/** The China mainland calendar shipped with @vouch/commitments. */
export const cn = Result.getOrThrow(
  BusinessCalendar.fromJson(
    readFileSync(new URL("../../commitments/calendars/cn-mainland-2024-2025.json", import.meta.url), "utf8")
  ) as Result.Result<BusinessCalendar.BusinessCalendar, unknown>
)
export const calendars = BusinessCalendar.registry(cn)

export const at = (iso: string): DateTime.Utc => DateTime.makeUnsafe(iso)
export const H = 3_600_000

/** Friday 2024-03-08 19:00 Shanghai, after closing time. */
export const fridayEvening = "2024-03-08T11:00:00Z"

/** The step fields of a command: who, through which channel, when. */
export const by = (actor: string, when: string, channel = "phone") => ({ actor, channel, at: at(when) })

/** A phone complaint received by agent "li". */
export const receive = (overrides: Partial<typeof Complaint.Receive.Type> = {}) =>
  Complaint.Receive.make({
    complaintId: "c-1",
    customer: "cust-7",
    order: "order-42",
    category: "billing",
    description: "charged twice",
    remedySought: "refund",
    tier: "standard",
    ...by("li", fridayEvening),
    ...overrides
  })

/** The events `commands` produce in sequence; throws on a refusal. */
export const history = (...commands: ReadonlyArray<Complaint.Command>): Array<Complaint.Event> => {
  const events: Array<Complaint.Event> = []
  for (const command of commands) {
    const state = Decider.fold(Complaint.decider, events)
    const decided = Complaint.decide(command, state)
    if (Result.isFailure(decided)) throw new Error(`${command._tag} refused: ${JSON.stringify(decided.failure)}`)
    events.push(...decided.success)
  }
  return events
}

/** The commands that take a complaint from receipt to a resolution, one hour apart. */
export const toResolved = (start = "2024-03-11T01:00:00Z"): Array<Complaint.Command> => {
  const t = (h: number) => new Date(Date.parse(start) + h * H).toISOString()
  return [
    receive(),
    Complaint.Acknowledge.make({ mode: "Person", ...by("li", t(0)) }),
    Complaint.ProposeSolution.make({ solutionId: "s-1", description: "refund the double charge", ...by("li", t(1)) }),
    Complaint.AcceptSolution.make({ solutionId: "s-1", ...by("cust-7", t(2)) }),
    Complaint.Resolve.make({ summary: "refunded", ...by("li", t(3)) })
  ]
}
