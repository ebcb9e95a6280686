/**
 * Small synchronous file helpers and the translation of Node's file errors into the kernel's
 * `StorageFailure`. The store does its I/O synchronously on purpose: a write into space a file
 * already owns costs microseconds, and an `fdatasync` on the calling thread is about twice as
 * fast as one bounced through libuv's thread pool, which decides the one-writer append rate.
 */
import * as fs from "node:fs"
import { StorageFailure } from "@vouch/core"

/** Thrown inside the store's synchronous code and turned into typed errors at its edge. */
export class Corruption extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string
  ) {
    super(`${file} at byte ${offset}: ${reason}`)
  }
}

const retryableCodes = new Set(["EAGAIN", "EBUSY", "EINTR", "ENOSPC", "EDQUOT", "EMFILE", "ENFILE", "ENOMEM"])

/** A Node error's code, if it has one. */
export const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

/** Describes a failed file operation as a `StorageFailure`; full disks and busy files may pass, so they are retryable. */
export const failure = (what: string, error: unknown): StorageFailure => {
  const code = codeOf(error)
  const detail = error instanceof Error ? error.message : String(error)
  return new StorageFailure({
    reason: `${what}: ${detail}`,
    retryable: code !== undefined && retryableCodes.has(code),
    cause: error
  })
}

/** Writes all of `bytes` at `position`. */
export const writeFully = (fd: number, bytes: Uint8Array, position: number): void => {
  let done = 0
  while (done < bytes.length) {
    done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done)
  }
}

/** Reads exactly `length` bytes at `position` into `into` (fewer only at end of file); returns the count. */
export const readFully = (fd: number, into: Uint8Array, offset: number, length: number, position: number): number => {
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, into, offset + done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

/** Makes a directory entry durable: after creating, renaming or deleting a file in it. */
export const syncDirectory = (directory: string): void => {
  const fd = fs.openSync(directory, "r")
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

const zeros = Buffer.alloc(1 << 20)

/** Overwrites `[from, to)` with zeros. */
export const zeroFill = (fd: number, from: number, to: number): void => {
  for (let at = from; at < to; at += zeros.length) {
    writeFully(fd, zeros.subarray(0, Math.min(zeros.length, to - at)), at)
  }
}

/** Writes `bytes` to `path` durably and atomically: temp file, fsync, rename, fsync directory. */
export const writeFileAtomic = (directory: string, path: string, bytes: Uint8Array, tempSuffix: string): void => {
  const temp = `${path}.${tempSuffix}.tmp`
  const fd = fs.openSync(temp, "wx")
  try {
    writeFully(fd, bytes, 0)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(temp, path)
  syncDirectory(directory)
}
