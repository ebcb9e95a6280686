/**
 * CRC-32C (Castagnoli), the checksum every record and segment header carries. Node 20 has no
 * built-in CRC-32C, and opening a store checksums every byte of the log, so this is the
 * table-driven "slicing by 8" variant: it consumes eight bytes per step instead of one.
 */

const polynomial = 0x82f63b78

const tables: ReadonlyArray<Int32Array> = (() => {
  const result = Array.from({ length: 8 }, () => new Int32Array(256))
  const first = result[0] as Int32Array
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1
    first[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = first[n] as number
    for (let t = 1; t < 8; t++) {
      c = (first[c & 0xff] as number) ^ (c >>> 8)
      ;(result[t] as Int32Array)[n] = c
    }
  }
  return result
})()

const t0 = tables[0] as Int32Array
const t1 = tables[1] as Int32Array
const t2 = tables[2] as Int32Array
const t3 = tables[3] as Int32Array
const t4 = tables[4] as Int32Array
const t5 = tables[5] as Int32Array
const t6 = tables[6] as Int32Array
const t7 = tables[7] as Int32Array

/** The CRC-32C of `bytes[start, end)`, as an unsigned 32-bit integer. */
export const compute = (bytes: Uint8Array, start = 0, end = bytes.length): number => {
  let crc = -1
  let i = start
  const stop8 = end - ((end - i) & 7)
  while (i < stop8) {
    const a = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
    crc =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!
    i += 8
  }
  while (i < end) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}
