import { EventId } from "@vouch/core"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as EventIdIndex from "../src/internal/EventIdIndex.ts"

/** A log of ids and an index over it, filed the way the store files them. */
const indexed = (ids: ReadonlyArray<string>, hash?: (id: string) => number) => {
  const log: Array<string> = []
  const index = EventIdIndex.make((position) => log[position] as string, hash)
  for (const id of ids) {
    index.add(id, log.length)
    log.push(id)
  }
  return index
}

describe("EventIdIndex", () => {
  it("finds every filed id at its position through many doublings, and nothing else", () => {
    const ids = Array.from({ length: 50_000 }, EventId.make)
    const index = indexed(ids)
    for (const [position, id] of ids.entries()) expect(index.find(id)).toBe(position)
    for (let i = 0; i < 1000; i++) expect(index.find(EventId.make())).toBe(-1)
  })

  it("tells ids apart when their hashes collide", () => {
    // Three hashes for everything: long probe runs, and every match must be confirmed by the id.
    const index = indexed(["a", "b", "c", "d", "e", "f", "g"], (id) => (id.charCodeAt(0) % 3) + 1)
    expect(["a", "b", "c", "d", "e", "f", "g"].map(index.find)).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(index.find("h")).toBe(-1)
    expect(index.find("")).toBe(-1)
  })

  it("agrees with a Map on random ids, with and without colliding hashes", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ maxLength: 6 }), { maxLength: 300 }),
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 50 }),
        fc.boolean(),
        (filed, probes, collide) => {
          const index = indexed(filed, collide ? (id) => (id.length % 4) + 1 : undefined)
          const map = new Map(filed.map((id, position) => [id, position]))
          for (const id of [...filed, ...probes]) expect(index.find(id)).toBe(map.get(id) ?? -1)
        }
      )
    )
  })
})
