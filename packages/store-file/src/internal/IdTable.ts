/**
 * Event id → global position, for the idempotent-append rule. Ids are uuids; a lower-case uuid
 * is kept as four 32-bit words in an open-addressing hash table (20 to 40 bytes per event and no
 * string per id), so a store of millions of events opens quickly and stays small. Ids spelt in
 * any other case are rare and live in a plain `Map`, so matching stays exact, as in every store.
 */

const hexValue = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) hexValue[48 + i] = i
for (let i = 0; i < 6; i++) hexValue[97 + i] = 10 + i

const words = new Int32Array(4)

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
      words[w++] = word
      word = 0
      nibbles = 0
    }
  }
  return true
}

/** Parses a lower-case uuid held as ASCII in `bytes[at, at + 36)` into `words`. */
const parseBytes = (bytes: Uint8Array, at: number): boolean => {
  let word = 0
  let nibbles = 0
  let w = 0
  for (let i = 0; i < 36; i++) {
    const code = bytes[at + i] as number
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return false
      continue
    }
    const value = code < 128 ? (hexValue[code] as number) : -1
    if (value < 0) return false
    word = (word << 4) | value
    if (++nibbles === 8) {
      words[w++] = word
      word = 0
      nibbles = 0
    }
  }
  return true
}

const hash = (a: number, b: number, c: number, d: number): number => {
  let h = Math.imul(a ^ 0x1e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ b ^ (h >>> 15), 0xc2b2ae35)
  h = Math.imul(h ^ c ^ (h >>> 13), 0x85ebca6b)
  h = Math.imul(h ^ d ^ (h >>> 16), 0xc2b2ae35)
  return h ^ (h >>> 15)
}

const stride = 5

/** A map from event id to a positive number below 2^31 (the global position). */
export class IdTable {
  // Each slot holds the four key words and the value side by side, so a probe touches one cache line.
  private slots: Int32Array
  private mask: number
  private count = 0
  private readonly other = new Map<string, number>()

  /** `expected`: how many ids to make room for up front, to spare rehashing while a store opens. */
  constructor(expected = 0) {
    let capacity = 2048
    while (capacity * 3 < expected * 4) capacity *= 2
    this.slots = new Int32Array(capacity * stride)
    this.mask = capacity - 1
  }

  get(id: string): number | undefined {
    if (!parse(id)) return this.other.get(id)
    const a = words[0] as number | 0
    const b = words[1] as number | 0
    const c = words[2] as number | 0
    const d = words[3] as number | 0
    const slots = this.slots
    let slot = hash(a, b, c, d) & this.mask
    for (;;) {
      const k = slot * stride
      const value = slots[k + 4] as number
      if (value === 0) return undefined
      if (slots[k] === a && slots[k + 1] === b && slots[k + 2] === c && slots[k + 3] === d) return value
      slot = (slot + 1) & this.mask
    }
  }

  /** Adds an id held as ASCII in `bytes[at, at + 36)`, without making a string of it when it is lower case. */
  setBytes(bytes: Buffer, at: number, value: number): void {
    if (!parseBytes(bytes, at)) {
      this.other.set(bytes.toString("latin1", at, at + 36), value)
      return
    }
    this.add(value)
  }

  /** Adds an id; the caller has checked it is not present. */
  set(id: string, value: number): void {
    if (!parse(id)) {
      this.other.set(id, value)
      return
    }
    this.add(value)
  }

  /** Adds the id parsed into `words`. */
  private add(value: number): void {
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.grow()
    this.insert(words[0] as number | 0, words[1] as number | 0, words[2] as number | 0, words[3] as number | 0, value)
    this.count++
  }

  private insert(a: number, b: number, c: number, d: number, value: number): void {
    const slots = this.slots
    let slot = hash(a, b, c, d) & this.mask
    while (slots[slot * stride + 4] !== 0) slot = (slot + 1) & this.mask
    const k = slot * stride
    slots[k] = a
    slots[k + 1] = b
    slots[k + 2] = c
    slots[k + 3] = d
    slots[k + 4] = value
  }

  private grow(): void {
    const old = this.slots
    this.slots = new Int32Array(old.length * 2)
    this.mask = this.slots.length / stride - 1
    for (let k = 0; k < old.length; k += stride) {
      const value = old[k + 4] as number
      if (value !== 0)
        this.insert(old[k] as number, old[k + 1] as number, old[k + 2] as number, old[k + 3] as number, value)
    }
  }
}
