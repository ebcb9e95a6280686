/**
 * The single-writer lock: a `LOCK` file created with `O_EXCL` that holds the owner's pid and
 * process start time. A lock whose owner is gone (no such pid, or the pid now belongs to a
 * process that started at another time) is stale and is taken over, so a crash never leaves a
 * store locked for good.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { codeOf, syncDirectory } from "./Fs.ts"

/** Who holds a lock, as recorded in the file. */
export interface Holder {
  readonly pid: number
  readonly startTime: string
}

/** The lock is held by a live process. */
export class Held extends Error {
  constructor(readonly holder: Holder | undefined) {
    super(holder === undefined ? "lock file is unreadable" : `locked by process ${holder.pid}`)
  }
}

/** The start time of a process, in clock ticks since boot (Linux); "" where unknown. */
export const startTimeOf = (pid: number): string => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1")
    // The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return fields[19] ?? ""
  } catch {
    return ""
  }
}

const alive = (holder: Holder): boolean => {
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    return codeOf(error) === "EPERM"
  }
  if (holder.startTime === "") return true
  const now = startTimeOf(holder.pid)
  return now === "" || now === holder.startTime
}

const readHolder = (file: string): Holder | undefined => {
  try {
    const [pid, startTime] = fs.readFileSync(file, "utf8").trim().split(" ")
    const n = Number(pid)
    return Number.isSafeInteger(n) && n > 0 ? { pid: n, startTime: startTime ?? "" } : undefined
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined
    throw error
  }
}

/** Takes the lock of `directory` or throws `Held`; returns the function that releases it. */
export const acquire = (directory: string): (() => void) => {
  const file = path.join(directory, "LOCK")
  const mine = `${process.pid} ${startTimeOf(process.pid)}`
  for (let attempt = 0; ; attempt++) {
    let fd: number
    try {
      fd = fs.openSync(file, "wx")
    } catch (error) {
      if (codeOf(error) !== "EEXIST") throw error
      const holder = readHolder(file)
      // An unreadable or empty lock file may be one being written right now: only retry.
      if (attempt < 5 && (holder === undefined || !alive(holder))) {
        if (holder !== undefined) {
          try {
            fs.unlinkSync(file)
          } catch (unlinkError) {
            if (codeOf(unlinkError) !== "ENOENT") throw unlinkError
          }
        } else {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
        }
        continue
      }
      throw new Held(holder)
    }
    try {
      fs.writeSync(fd, `${mine}\n`)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    syncDirectory(directory)
    return () => {
      try {
        if (fs.readFileSync(file, "utf8").trim() === mine) fs.unlinkSync(file)
      } catch {
        // Already gone: nothing to release.
      }
    }
  }
}
