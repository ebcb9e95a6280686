/**
 * What an append expects of its stream. Every store enforces these inside its atomic write:
 *
 * - `Any`: no expectation.
 * - `NoStream`: the stream has no events (`Exact(0)` means the same thing).
 * - `StreamExists`: the stream has at least one event.
 * - `Exact(n)`: the stream's last event has version `n`.
 *
 * Stream versions count from 1; a stream that does not exist is at version 0.
 */
import { Schema } from "effect"

export const Any = Schema.TaggedStruct("Any", {})
export const NoStream = Schema.TaggedStruct("NoStream", {})
export const StreamExists = Schema.TaggedStruct("StreamExists", {})
export const Exact = Schema.TaggedStruct("Exact", { version: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) })

/** The schema of an expectation, so it can travel inside errors and commands. */
export const ExpectedVersion = Schema.Union([Any, NoStream, StreamExists, Exact])
export type ExpectedVersion = typeof ExpectedVersion.Type

/** No expectation. */
export const any: ExpectedVersion = Any.make({})
/** The stream must not exist yet. */
export const noStream: ExpectedVersion = NoStream.make({})
/** The stream must already hold at least one event. */
export const streamExists: ExpectedVersion = StreamExists.make({})
/** The stream must be exactly at `version` (0: must not exist). */
export const exact = (version: number): ExpectedVersion => Exact.make({ version })

/** Whether a stream currently at `current` satisfies the expectation. */
export const isSatisfiedBy = (expected: ExpectedVersion, current: number): boolean => {
  switch (expected._tag) {
    case "Any":
      return true
    case "NoStream":
      return current === 0
    case "StreamExists":
      return current > 0
    case "Exact":
      return current === expected.version
  }
}

/**
 * The version the stream must be at for events to be placed right after it, when the
 * expectation pins one down (`NoStream` and `Exact`); undefined otherwise.
 */
export const pinnedVersion = (expected: ExpectedVersion): number | undefined =>
  expected._tag === "Exact" ? expected.version : expected._tag === "NoStream" ? 0 : undefined

/** A human-readable form for messages. */
export const format = (expected: ExpectedVersion): string => {
  switch (expected._tag) {
    case "Any":
      return "any version"
    case "NoStream":
      return "no stream"
    case "StreamExists":
      return "an existing stream"
    case "Exact":
      return `version ${expected.version}`
  }
}
