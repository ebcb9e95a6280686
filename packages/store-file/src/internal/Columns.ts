/**
 * Growable typed arrays: the in-memory index keeps a few numbers per event, and a typed array
 * holds a million of them in a few megabytes where a JavaScript array of objects would take
 * hundreds.
 */

type Typed = Float64Array | Uint32Array | Int32Array

/** A typed array that doubles its capacity when full. */
export class Column<T extends Typed> {
  data: T
  length = 0
  constructor(private readonly create: (capacity: number) => T) {
    this.data = create(1024)
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = this.create(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.length++] = value
  }
  get(index: number): number {
    return this.data[index] as number
  }
  /** Forgets entries from `length` on. */
  truncate(length: number): void {
    this.length = Math.min(this.length, length)
  }
}

export const float64 = () => new Column((n) => new Float64Array(n))
export const uint32 = () => new Column((n) => new Uint32Array(n))
export const int32 = () => new Column((n) => new Int32Array(n))
