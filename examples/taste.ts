import { Aggregate, CommandHandler, Decider, EventCatalog } from "@vouch/core"
import { MemoryEventStore } from "@vouch/store-memory"
import { Effect, Result, Schema } from "effect"

const Opened = Schema.TaggedStruct("Opened", { owner: Schema.String })
const Closed = Schema.TaggedStruct("Closed", { cause: Schema.String })
type Event = typeof Opened.Type | typeof Closed.Type
type Command = { readonly _tag: "Open"; readonly owner: string } | { readonly _tag: "Close"; readonly cause: string }

const Ticket = Aggregate.make({
  category: "ticket",
  events: EventCatalog.make("tickets", Schema.Union([Opened, Closed])),
  decider: Decider.make<Command, { status: "none" | "open" | "closed" }, Event, string>({
    initialState: { status: "none" },
    evolve: (state, event) => {
      state.status = event._tag === "Opened" ? "open" : "closed"
    },
    decide: (command, state) =>
      command._tag === "Open"
        ? state.status === "none"
          ? Result.succeed([Opened.make({ owner: command.owner })])
          : Result.fail("already open")
        : state.status === "open"
          ? Result.succeed([Closed.make({ cause: command.cause })])
          : Result.fail("not open")
  })
})

const program = Effect.gen(function* () {
  yield* CommandHandler.handle(Ticket, "ticket-1", { _tag: "Open", owner: "李雷" })
  return yield* CommandHandler.handle(Ticket, "ticket-1", { _tag: "Close", cause: "fixed" })
})
Effect.runPromise(program.pipe(Effect.provide(MemoryEventStore.layer))).then((r) => console.log(r.state))
