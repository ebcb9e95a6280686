/**
 * A reusable buffer for bytes that are needed only for the length of one synchronous step (a
 * read's records, the JSON text parsed from them). Reusing it spares an allocation per read and,
 * more to the point, the garbage collections that megabytes of short-lived buffers set off.
 * Sizes above the limit get a fresh buffer, so what stays allocated is bounded.
 */
export class Scratch {
  private bytes: Buffer = Buffer.allocUnsafe(0)

  constructor(private readonly limit: number) {}

  /** A buffer of at least `size` bytes; its contents are garbage, and it is valid until the next call. */
  take(size: number): Buffer {
    if (size <= this.bytes.length) return this.bytes
    if (size > this.limit) return Buffer.allocUnsafe(size)
    this.bytes = Buffer.allocUnsafe(Math.min(this.limit, Math.max(size, 2 * this.bytes.length)))
    return this.bytes
  }
}
