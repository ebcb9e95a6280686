/**
 * Checkpoints are positions in a store's global log. Each store defines its own: the memory
 * and file stores need one number, PostgreSQL needs a transaction id and a sequence. To keep
 * them opaque yet comparable and easy to save, a checkpoint is a string of fixed-width
 * hexadecimal parts: comparing two checkpoints of one store is comparing the strings, and
 * saving one is saving a string.
 */
import { Result, Schema } from "effect"
import { InvalidCheckpoint } from "./Errors.ts"

/** An opaque, totally ordered position in a store's global log. */
export type Checkpoint = string & { readonly Checkpoint: unique symbol }

/** The position before the first event: reading from here reads everything. */
export const beginning = "" as Checkpoint

/** The schema of a checkpoint, for saving one. */
export const CheckpointSchema = Schema.String as unknown as Schema.Codec<Checkpoint, string>

const width = 16
const maxPart = 2n ** 64n - 1n
const shape = /^[0-9a-f]{16}(\.[0-9a-f]{16})*$/

/** Builds a checkpoint from non-negative integer parts (each below 2^64), most significant first. */
export const fromParts = (parts: ReadonlyArray<number | bigint>): Checkpoint => {
  let text = ""
  for (let i = 0; i < parts.length; i++) {
    const part = BigInt(parts[i] as number | bigint)
    if (part < 0n || part > maxPart) throw new RangeError(`checkpoint part out of range: ${part}`)
    text += (i === 0 ? "" : ".") + part.toString(16).padStart(width, "0")
  }
  return text as Checkpoint
}

/** A one-part checkpoint from a safe integer, the common case; faster than `fromParts`. */
export const fromNumber = (n: number): Checkpoint => n.toString(16).padStart(width, "0") as Checkpoint

/**
 * Reads a checkpoint back into `arity` parts. The beginning decodes as all zeros. A checkpoint of
 * another shape (from another store, or typed by hand) is an `InvalidCheckpoint`.
 */
export const toParts = (checkpoint: string, arity: number): Result.Result<ReadonlyArray<bigint>, InvalidCheckpoint> => {
  if (checkpoint === beginning) return Result.succeed(Array.from({ length: arity }, () => 0n))
  const parts = checkpoint.split(".")
  if (!shape.test(checkpoint) || parts.length !== arity) {
    return Result.fail(
      new InvalidCheckpoint({
        checkpoint: checkpoint.slice(0, 100),
        reason: `expected ${arity} part(s) of ${width} hexadecimal digits separated by "."`
      })
    )
  }
  return Result.succeed(parts.map((part) => BigInt(`0x${part}`)))
}

/** Reads a one-part checkpoint back into a number. */
export const toNumber = (checkpoint: string): Result.Result<number, InvalidCheckpoint> =>
  Result.map(toParts(checkpoint, 1), (parts) => Number(parts[0]))

/** Orders two checkpoints of the same store: negative, zero or positive. */
export const compare = (a: Checkpoint, b: Checkpoint): number => (a < b ? -1 : a > b ? 1 : 0)

/** The later of two checkpoints. */
export const max = (a: Checkpoint, b: Checkpoint): Checkpoint => (a < b ? b : a)
