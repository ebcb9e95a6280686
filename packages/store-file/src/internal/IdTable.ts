/**
 * Event id → global position, for the idempotent-append rule. Ids are uuids; a lower-case uuid
 * is kept as four 32-bit words in an open-addressing hash table (about 24 bytes per event and no
 * string per id), so a store of millions of events opens quickly and stays small. Ids spelt in
 * any other case are rare and live in a plain `Map`, so matching stays exact, as in every store.
 */

const hexValue = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) hexValue[48 + i] = i
for (let i = 0; i < 6; i++) hexValue[97 + i] = 10 + i

const words = new Uint32Array(4)

/** Parses a lower-case uuid into `words`; false when it is spelt any other way. */
const parse = (id: string): boolean => {
  if (id.length !== 36) return false
  let word = 0
  let nibbles = 0
  let w = 0
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (id.charCodeAt(i) !== 45) return false
      continue
    }
    const code = id.charCodeAt(i)
    const value = code < 128 ? (hexValue[code] as number) : -1
    if (value < 0) return false
    word = (word << 4) | value
    if (++nibbles === 8) {
      words[w++] = word >>> 0
      word = 0
      nibbles = 0
    }
  }
  return true
}

const hash = (a: number, b: number, c: number, d: number): number => {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ b ^ (h >>> 15), 0xc2b2ae35)
  h = Math.imul(h ^ c ^ (h >>> 13), 0x85ebca6b)
  h = Math.imul(h ^ d ^ (h >>> 16), 0xc2b2ae35)
  return (h ^ (h >>> 15)) >>> 0
}

/** A map from event id to a positive number (the global position). */
export class IdTable {
  private keys = new Uint32Array(4 * 2048)
  private values = new Float64Array(2048)
  private mask = 2047
  private count = 0
  private readonly other = new Map<string, number>()

  get(id: string): number | undefined {
    if (!parse(id)) return this.other.get(id)
    const a = words[0] as number
    const b = words[1] as number
    const c = words[2] as number
    const d = words[3] as number
    let slot = hash(a, b, c, d) & this.mask
    for (;;) {
      const value = this.values[slot] as number
      if (value === 0) return undefined
      const k = slot * 4
      if (this.keys[k] === a && this.keys[k + 1] === b && this.keys[k + 2] === c && this.keys[k + 3] === d) {
        return value
      }
      slot = (slot + 1) & this.mask
    }
  }

  /** Adds an id; the caller has checked it is not present. */
  set(id: string, value: number): void {
    if (!parse(id)) {
      this.other.set(id, value)
      return
    }
    if ((this.count + 1) * 4 > this.values.length * 3) this.grow()
    this.insert(words[0] as number, words[1] as number, words[2] as number, words[3] as number, value)
    this.count++
  }

  private insert(a: number, b: number, c: number, d: number, value: number): void {
    let slot = hash(a, b, c, d) & this.mask
    while (this.values[slot] !== 0) slot = (slot + 1) & this.mask
    const k = slot * 4
    this.keys[k] = a
    this.keys[k + 1] = b
    this.keys[k + 2] = c
    this.keys[k + 3] = d
    this.values[slot] = value
  }

  private grow(): void {
    const keys = this.keys
    const values = this.values
    this.keys = new Uint32Array(keys.length * 2)
    this.values = new Float64Array(values.length * 2)
    this.mask = this.values.length - 1
    for (let slot = 0; slot < values.length; slot++) {
      const value = values[slot] as number
      if (value === 0) continue
      const k = slot * 4
      this.insert(keys[k] as number, keys[k + 1] as number, keys[k + 2] as number, keys[k + 3] as number, value)
    }
  }
}
