/**
 * The in-memory index of a store: what lives in memory instead of the event bodies. Per event it
 * keeps a handful of numbers in typed arrays (segment, offset, length, stream, version), per
 * stream the list of its global positions, and per event id its position. Bodies stay on disk
 * and are read with `pread` when asked for.
 */
import * as Columns from "./Columns.ts"
import { IdTable } from "./IdTable.ts"

export class Index {
  /** The position of the last event indexed (written, not necessarily durable yet). */
  head = 0
  readonly streamIds: Array<string> = []
  readonly streamPositions: Array<Array<number>> = []
  private readonly ordinals = new Map<string, number>()
  readonly segmentOf = Columns.int32()
  readonly offsetOf = Columns.uint32()
  readonly lengthOf = Columns.uint32()
  readonly streamOf = Columns.int32()
  readonly versionOf = Columns.uint32()
  readonly ids: IdTable

  /** `expected`: roughly how many events the store holds, to size the id table up front. */
  constructor(expected = 0) {
    this.ids = new IdTable(expected)
  }

  /** The ordinal of a stream, or -1 when it has no events. */
  ordinal(streamId: string): number {
    return this.ordinals.get(streamId) ?? -1
  }

  /** The number of events in a stream, pending ones included. */
  version(streamId: string): number {
    const ordinal = this.ordinals.get(streamId)
    return ordinal === undefined ? 0 : (this.streamPositions[ordinal] as Array<number>).length
  }

  /** The ordinal of a stream, registering it when new. */
  ordinalFor(streamId: string): number {
    let ordinal = this.ordinals.get(streamId)
    if (ordinal === undefined) {
      ordinal = this.streamIds.length
      this.ordinals.set(streamId, ordinal)
      this.streamIds.push(streamId)
      this.streamPositions.push([])
    }
    return ordinal
  }

  /** Indexes the next event of stream `ordinal`, whose record is at `offset` of `segment`; returns its position. */
  add(ordinal: number, eventId: string, segment: number, offset: number, length: number): number {
    const position = this.place(ordinal, segment, offset, length)
    this.ids.set(eventId, position)
    return position
  }

  /** Indexes the next event of stream `ordinal` without its id (the caller adds that); returns its position. */
  place(ordinal: number, segment: number, offset: number, length: number): number {
    const positions = this.streamPositions[ordinal] as Array<number>
    const position = ++this.head
    positions.push(position)
    this.segmentOf.push(segment)
    this.offsetOf.push(offset)
    this.lengthOf.push(length)
    this.streamOf.push(ordinal)
    this.versionOf.push(positions.length)
    return position
  }

  /** The stream id of the event at `position`. */
  streamAt(position: number): string {
    return this.streamIds[this.streamOf.get(position - 1)] as string
  }
}
