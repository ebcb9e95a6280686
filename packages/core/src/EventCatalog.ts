/**
 * An aggregate's events: their schemas, their stable type names, their schema versions and the
 * upcasters that lift old versions. The catalog encodes typed events into envelopes on the way
 * into a store and decodes envelopes back into typed events on the way out, so an event that
 * does not match its schema never enters or leaves a store silently.
 *
 * Type names are `<aggregate>/<tag>` (e.g. `complaints/ComplaintReceived`) and never change.
 * Stored data is the event's encoded form without its `_tag`, which the type name carries.
 */
import { Result, Schema, type SchemaAST } from "effect"
import { EventSchemaViolation } from "./Errors.ts"
import type { EventMetadata, NewEvent, RecordedEvent } from "./Event.ts"
import * as EventId from "./EventId.ts"
import * as CheckedEvent from "./internal/checkedEvent.ts"
import * as Metadata from "./internal/metadata.ts"
import * as SchemaShortcut from "./internal/schemaShortcut.ts"
import type * as Json from "./Json.ts"

/** Lifts data of one schema version to the next. */
export type Upcaster = (data: Json.Json) => Json.Json

/** How an event type evolved: its current version and one upcaster per older version. */
export interface EventVersioning {
  /** The current schema version (default 1). */
  readonly version: number
  /** `upcasters[k]` turns version-k data into version-(k+1) data, for every k below `version`. */
  readonly upcasters?: Readonly<Record<number, Upcaster>>
}

/** A tagged event schema: a struct whose `_tag` is a string literal. */
type TaggedMember = Schema.Codec<{ readonly _tag: string }, { readonly _tag: string }>

/** The catalog of one aggregate's events. */
export interface EventCatalog<E extends { readonly _tag: string }> {
  /** The aggregate's name, the prefix of every type name. */
  readonly aggregate: string
  /** The union schema of all events. */
  readonly schema: Schema.Codec<E, unknown>
  /** The stable type name stored for an event tag. */
  readonly typeName: (tag: E["_tag"]) => string
  /** Whether a stored event type belongs to this catalog. */
  readonly owns: (eventType: string) => boolean
  /** Encodes one event into an envelope ready to append. */
  readonly encode: (
    event: E,
    context: { readonly streamId: string; readonly metadata?: EventMetadata; readonly eventId?: string }
  ) => Result.Result<NewEvent, EventSchemaViolation>
  /** Encodes the events of one append, which share their metadata, failing on the first that does not match. */
  readonly encodeAll: (
    events: ReadonlyArray<E>,
    context: { readonly streamId: string; readonly metadata?: EventMetadata }
  ) => Result.Result<Array<NewEvent>, EventSchemaViolation>
  /** Upcasts and decodes a stored event. */
  readonly decode: (recorded: RecordedEvent) => Result.Result<E, EventSchemaViolation>
  /** Decodes many stored events, failing on the first that does not match. */
  readonly decodeAll: (recorded: ReadonlyArray<RecordedEvent>) => Result.Result<Array<E>, EventSchemaViolation>
  /**
   * Decodes stored events one at a time into `visit`, stopping at the first that does not match
   * and returning why (undefined when all matched). Builds no array of decoded events, so a long
   * stream's events can be dropped as soon as they are folded.
   */
  readonly decodeEach: (
    recorded: ReadonlyArray<RecordedEvent>,
    visit: (event: E) => void
  ) => EventSchemaViolation | undefined
}

interface Entry {
  readonly tag: string
  readonly typeName: string
  readonly version: number
  readonly upcasters: Readonly<Record<number, Upcaster>>
  readonly encode: (event: unknown) => Result.Result<unknown, Schema.SchemaError>
  readonly decode: (data: unknown) => Result.Result<unknown, Schema.SchemaError>
  /** Event to stored data (frozen JSON, no `_tag`) without Effect's parser, when the schema allows. */
  readonly encodeShortcut: SchemaShortcut.Shortcut | undefined
  /** Stored data to event without Effect's parser, when the schema allows. */
  readonly decodeShortcut: SchemaShortcut.Shortcut | undefined
}

const tagOf = (member: { readonly ast: SchemaAST.AST }): string => {
  const ast = member.ast as SchemaAST.AST & {
    readonly propertySignatures?: ReadonlyArray<{ readonly name: PropertyKey; readonly type: SchemaAST.AST }>
  }
  const tag = ast.propertySignatures?.find((p) => p.name === "_tag")?.type as { literal?: unknown } | undefined
  if (typeof tag?.literal !== "string")
    throw new Error("EventCatalog: every event schema needs a string `_tag` literal")
  return tag.literal
}

/** Every event member of a union of tagged structs (nested unions are flattened). */
const membersOf = (schema: unknown): ReadonlyArray<TaggedMember> => {
  const members = (schema as { readonly members?: ReadonlyArray<unknown> }).members
  return members === undefined ? [schema as TaggedMember] : members.flatMap(membersOf)
}

/** Splits `_tag` off an encoded event, leaving the stored data. */
const withoutTag = (encoded: Record<string, unknown>): Record<string, unknown> => {
  const { _tag, ...data } = encoded
  return data
}

/**
 * Builds a catalog from a union of `Schema.TaggedStruct` events.
 *
 * ```ts
 * const Events = EventCatalog.make("complaints", Schema.Union([Received, Closed]), {
 *   ComplaintReceived: { version: 2, upcasters: { 1: (data) => ({ ...data, tier: "standard" }) } }
 * })
 * ```
 */
export const make = <S extends Schema.Codec<{ readonly _tag: string }, unknown>>(
  aggregate: string,
  schema: S,
  versioning: Partial<Record<S["Type"]["_tag"], EventVersioning>> = {}
): EventCatalog<S["Type"]> => {
  type E = S["Type"]
  const byTag = new Map<string, Entry>()
  const byType = new Map<string, Entry>()
  for (const member of membersOf(schema)) {
    const tag = tagOf(member)
    const versions = (versioning as Record<string, EventVersioning | undefined>)[tag]
    const version = versions?.version ?? 1
    const upcasters = versions?.upcasters ?? {}
    for (let k = 1; k < version; k++) {
      if (typeof upcasters[k] !== "function") {
        throw new Error(`EventCatalog ${aggregate}: ${tag} is at version ${version} but has no upcaster from ${k}`)
      }
    }
    const entry: Entry = {
      tag,
      typeName: `${aggregate}/${tag}`,
      version,
      upcasters,
      encode: Schema.encodeUnknownResult(member) as Entry["encode"],
      decode: Schema.decodeUnknownResult(member) as Entry["decode"],
      encodeShortcut: SchemaShortcut.compile(member.ast, { json: true, omit: ["_tag"] }),
      decodeShortcut: SchemaShortcut.compile(member.ast, { json: false, fixed: { _tag: tag } })
    }
    byTag.set(tag, entry)
    byType.set(entry.typeName, entry)
  }

  const violation = (streamId: string, streamVersion: number, eventType: string, detail: string) =>
    Result.fail(new EventSchemaViolation({ streamId, streamVersion, eventType, detail }))

  /** Why a stored event could not be decoded; a class, so the hot path tells it from an event. */
  class Problem {
    constructor(readonly detail: string) {}
  }

  /** The decoded event, or the problem: no `Result` or closure per event on the read path. */
  // Stored events come in runs of one type; remembering the last lookup saves a map probe per event.
  let lastType: string | undefined
  let lastEntry: Entry | undefined
  const entryFor = (eventType: string): Entry | undefined => {
    if (eventType !== lastType) {
      lastEntry = byType.get(eventType)
      lastType = eventType
    }
    return lastEntry
  }

  const decodeOrProblem = (recorded: RecordedEvent): E | Problem => {
    const entry = entryFor(recorded.eventType)
    if (entry === undefined) return new Problem(`not an event type of ${aggregate}`)
    if (recorded.schemaVersion > entry.version) {
      return new Problem(
        `stored with schema version ${recorded.schemaVersion}, newer than this reader's ${entry.version}`
      )
    }
    let data = recorded.data
    try {
      for (let k = recorded.schemaVersion; k < entry.version; k++) data = (entry.upcasters[k] as Upcaster)(data)
    } catch (error) {
      return new Problem(`upcasting from version ${recorded.schemaVersion} failed: ${String(error)}`)
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      return new Problem("event data must be an object")
    }
    const shortcut = entry.decodeShortcut?.(data) ?? SchemaShortcut.declined
    if (shortcut !== SchemaShortcut.declined) return shortcut as E
    const result = entry.decode({ ...data, _tag: entry.tag })
    return Result.isSuccess(result) ? (result.success as E) : new Problem(result.failure.message)
  }

  /** The error for a stored event that could not be decoded. */
  const explain = (recorded: RecordedEvent, problem: Problem) =>
    new EventSchemaViolation({
      streamId: recorded.streamId,
      streamVersion: recorded.streamVersion,
      eventType: recorded.eventType,
      detail: problem.detail
    })

  const decode = (recorded: RecordedEvent): Result.Result<E, EventSchemaViolation> => {
    const event = decodeOrProblem(recorded)
    return event instanceof Problem ? Result.fail(explain(recorded, event)) : Result.succeed(event)
  }

  const decodeEach = (recorded: ReadonlyArray<RecordedEvent>, visit: (event: E) => void) => {
    for (let i = 0; i < recorded.length; i++) {
      const event = decodeOrProblem(recorded[i] as RecordedEvent)
      if (event instanceof Problem) return explain(recorded[i] as RecordedEvent, event)
      visit(event)
    }
    return undefined
  }

  const encodeOne = (
    event: E,
    streamId: string,
    metadata: EventMetadata | undefined,
    eventId: string | undefined,
    /** `Metadata.prepare(metadata)`, when the caller already has it. */
    checkedMetadata: Result.Result<EventMetadata, string> | undefined
  ): Result.Result<NewEvent, EventSchemaViolation> => {
    const tag = (event as { _tag?: unknown })?._tag
    const entry = byTag.get(tag as string)
    if (entry === undefined) {
      return violation(streamId, 0, `${aggregate}/${String(tag)}`, "not an event of this aggregate")
    }
    const id = eventId ?? EventId.make()
    const data = entry.encodeShortcut?.(event) ?? SchemaShortcut.declined
    if (data !== SchemaShortcut.declined && (eventId === undefined || EventId.isValid(eventId))) {
      const checked = checkedMetadata ?? Metadata.prepare(metadata)
      if (Result.isSuccess(checked)) {
        return Result.succeed(CheckedEvent.make(id, entry.typeName, entry.version, data as Json.Json, checked.success))
      }
    }
    // Effect's parser decides, and the store's own checks judge the id and metadata.
    const encoded = entry.encode(event)
    if (Result.isFailure(encoded)) return violation(streamId, 0, entry.typeName, encoded.failure.message)
    return Result.succeed({
      eventId: id,
      eventType: entry.typeName,
      schemaVersion: entry.version,
      data: withoutTag(encoded.success as Record<string, unknown>) as Json.Json,
      metadata: metadata ?? {}
    })
  }

  return {
    aggregate,
    schema: schema as unknown as Schema.Codec<E, unknown>,
    typeName: (tag) => byTag.get(tag)?.typeName ?? `${aggregate}/${tag}`,
    owns: (eventType) => byType.has(eventType),
    encode: (event, context) => encodeOne(event, context.streamId, context.metadata, context.eventId, undefined),
    encodeAll: (events, context) => {
      // One check and copy of the shared metadata for the whole append.
      const checked = Metadata.prepare(context.metadata)
      const envelopes: Array<NewEvent> = new Array(events.length)
      for (let i = 0; i < events.length; i++) {
        const encoded = encodeOne(events[i] as E, context.streamId, context.metadata, undefined, checked)
        if (Result.isFailure(encoded)) return Result.fail(encoded.failure)
        envelopes[i] = encoded.success
      }
      return Result.succeed(envelopes)
    },
    decode,
    decodeEach,
    decodeAll: (recorded) => {
      const events: Array<E> = []
      const failure = decodeEach(recorded, (event) => events.push(event))
      return failure === undefined ? Result.succeed(events) : Result.fail(failure)
    }
  }
}
