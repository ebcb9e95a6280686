/**
 * Where each stored event id lives, for the re-append rule: an open-addressing hash table in one
 * `Int32Array` of (hash, log position) pairs. A `Map` keyed by the id strings costs several
 * dependent memory reads per lookup once it holds a million ids (bucket, entry, then the key
 * string's header somewhere else in the heap), and every append looks up and inserts each of its
 * ids. Here a lookup reads one slot pair, usually in one cache line; the id string itself is
 * compared only when the hashes match.
 */

/** A 31-bit FNV-1a hash of every character, never 0 (0 marks an empty slot). */
const fnv1a = (id: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193)
  return hash & 0x7fffffff || 1
}

export interface EventIdIndex {
  /** The log position of the event with this id, or -1 when no stored event has it. */
  readonly find: (eventId: string) => number
  /** Files an id that `find` does not know under its log position. */
  readonly add: (eventId: string, position: number) => void
}

/**
 * An empty index. `idAt` returns the id of the event at a log position (to confirm a hash
 * match); `hash` is replaceable so tests can force collisions.
 */
export const make = (idAt: (position: number) => string, hash: (id: string) => number = fnv1a): EventIdIndex => {
  let capacity = 1 << 12 // slots; a power of two, kept at least twice the number of ids
  let slots = new Int32Array(capacity * 2)
  let size = 0

  const place = (table: Int32Array, mask: number, h: number, position: number): void => {
    let i = h & mask
    while (table[i * 2] !== 0) i = (i + 1) & mask
    table[i * 2] = h
    table[i * 2 + 1] = position
  }

  const grow = (): void => {
    const old = slots
    capacity *= 2
    slots = new Int32Array(capacity * 2)
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0) place(slots, capacity - 1, old[i] as number, old[i + 1] as number)
    }
  }

  return {
    find: (eventId) => {
      const h = hash(eventId)
      const mask = capacity - 1
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const stored = slots[i * 2] as number
        if (stored === 0) return -1
        if (stored === h && idAt(slots[i * 2 + 1] as number) === eventId) return slots[i * 2 + 1] as number
      }
    },
    add: (eventId, position) => {
      if ((size + 1) * 2 > capacity) grow()
      place(slots, capacity - 1, hash(eventId), position)
      size++
    }
  }
}
