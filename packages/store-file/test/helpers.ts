/** Shared helpers for the file store's tests: temporary directories, stores, and child processes. */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type Event, EventId } from "@vouch/core"
import { FileEventStore } from "@vouch/store-file"
import { Effect } from "effect"

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, "../../..")
const fixture = path.join(here, "fixtures", "child.ts")

/** A new empty temporary directory. */
export const tempDir = (label: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `vouch-file-${label}-`))

/** Runs `body` with a store opened on `directory`, closing it afterwards. */
export const withStore = <A, E>(
  directory: string,
  body: (stores: FileEventStore.FileStores) => Effect.Effect<A, E>,
  options: Partial<FileEventStore.Options> = {}
): Promise<A> => Effect.runPromise(Effect.scoped(Effect.flatMap(FileEventStore.make({ directory, ...options }), body)))

/** The typed failure of opening a store on `directory`, or "opened". */
export const openFailure = (directory: string, options: Partial<FileEventStore.Options> = {}) =>
  Effect.runPromise(
    Effect.scoped(FileEventStore.make({ directory, ...options })).pipe(
      Effect.map(() => "opened" as const),
      Effect.catch((error) => Effect.succeed(error))
    )
  )

/** A new event with the given data. */
export const newEvent = (data: unknown, eventType = "test/Happened"): Event.NewEvent => ({
  eventId: EventId.make(),
  eventType,
  schemaVersion: 1,
  data: data as Event.NewEvent["data"],
  metadata: {}
})

/** A child process running `test/fixtures/child.ts`, with its stdout collected line by line. */
export interface Child {
  readonly process: ChildProcess
  readonly lines: Array<string>
  /** Resolves when a line matching `predicate` has been printed (rejects if the child exits first). */
  readonly waitFor: (predicate: (line: string) => boolean, timeoutMs?: number) => Promise<string>
  readonly exited: Promise<number | null>
}

export const startChild = (mode: string, directory: string): Child => {
  const child = spawn(process.execPath, ["--conditions=@vouch/source", "--import", "tsx", fixture, mode, directory], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  const listeners = new Set<() => void>()
  let partial = ""
  let stderr = ""
  child.stdout?.setEncoding("utf8")
  child.stdout?.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n")
    partial = parts.pop() ?? ""
    lines.push(...parts)
    for (const listener of [...listeners]) listener()
  })
  child.stderr?.setEncoding("utf8")
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const waitFor = (predicate: (line: string) => boolean, timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find(predicate)
        if (found !== undefined) {
          cleanup()
          resolve(found)
        }
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(
          new Error(
            `child ${mode} printed no expected line in time; stdout: ${lines.slice(-5).join(" | ")}; stderr: ${stderr.slice(-500)}`
          )
        )
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      void exited.then(() => {
        check()
        if (listeners.has(check)) {
          cleanup()
          reject(
            new Error(`child ${mode} exited; stdout: ${lines.slice(-5).join(" | ")}; stderr: ${stderr.slice(-500)}`)
          )
        }
      })
      listeners.add(check)
      check()
    })
  return { process: child, lines, waitFor, exited }
}

/** The files and directories under `directory`, relative, sorted. */
export const listing = (directory: string): Array<string> =>
  (fs.readdirSync(directory, { recursive: true }) as Array<string>).sort()
