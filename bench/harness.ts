/**
 * The benchmark harness every package's bench file uses. Each workload runs in a fresh child
 * process, several times, so that its peak memory (the process's maximum resident set) belongs
 * to that workload alone and a slow outlier on a shared machine does not decide the figure:
 * the printed rate is the median of the runs.
 *
 * A bench file calls `main(suiteName, workloads)`. Run directly, it spawns one child per
 * workload and run; a child (started with VOUCH_BENCH_WORKLOAD set) runs one workload and
 * reports its figures as a JSON line on stdout.
 */
import { spawnSync } from "node:child_process"

/** What a workload reports: how many events it handled and how long the measured part took. */
export interface Measurement {
  readonly events: number
  readonly ms: number
  /** Further figures worth printing (e.g. a baseline rate, a ratio). */
  readonly extra?: Record<string, number | string>
}

export interface Workload {
  readonly name: string
  readonly run: () => Promise<Measurement>
}

interface ChildReport extends Measurement {
  readonly maxRssMb: number
}

/** Times `body`, which returns the number of events it handled. */
export const time = async (body: () => Promise<number>): Promise<Measurement> => {
  const start = performance.now()
  const events = await body()
  return { events, ms: performance.now() - start }
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

const format = (n: number): string => Math.round(n).toLocaleString("en-US")

/** Runs a suite of workloads: as the parent, spawning children; as a child, one workload. */
export const main = async (suite: string, file: string, workloads: ReadonlyArray<Workload>): Promise<void> => {
  const only = process.env.VOUCH_BENCH_WORKLOAD
  if (only !== undefined) {
    const workload = workloads.find((w) => w.name === only)
    if (workload === undefined) throw new Error(`no workload named ${only}`)
    const measurement = await workload.run()
    const report: ChildReport = { ...measurement, maxRssMb: process.resourceUsage().maxRSS / 1024 }
    process.stdout.write(`VOUCH_BENCH ${JSON.stringify(report)}\n`)
    return
  }
  const runs = Number(process.env.VOUCH_BENCH_RUNS ?? 3)
  const filter = process.env.VOUCH_BENCH_FILTER
  const fromSources = process.execArgv.some((arg) => arg.includes("@vouch/source"))
  console.log(`\n## ${suite} (median of ${runs} runs; peak RSS is the highest of the runs)\n`)
  console.log(
    fromSources
      ? "Running the TypeScript sources through tsx, which names every closure it creates: slower than the built packages.\n"
      : "Running the built packages (dist), as applications do.\n"
  )
  console.log(`| workload | events/s | events | peak RSS MB | notes |`)
  console.log(`| --- | ---: | ---: | ---: | --- |`)
  for (const workload of workloads) {
    if (filter !== undefined && !workload.name.includes(filter)) continue
    const reports: Array<ChildReport> = []
    for (let i = 0; i < runs; i++) {
      const child = spawnSync(
        process.execPath,
        // The child loads Vouch the way this process does: built packages, or sources via the
        // `@vouch/source` condition.
        [...process.execArgv, "--expose-gc", "--max-old-space-size=8192", file],
        { env: { ...process.env, VOUCH_BENCH_WORKLOAD: workload.name }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }
      )
      const line = child.stdout.split("\n").find((l) => l.startsWith("VOUCH_BENCH "))
      if (child.status !== 0 || line === undefined) {
        console.log(
          `| ${workload.name} | failed | | | ${(child.stderr || child.stdout).trim().split("\n").slice(-3).join(" ").slice(0, 300)} |`
        )
        break
      }
      reports.push(JSON.parse(line.slice("VOUCH_BENCH ".length)) as ChildReport)
    }
    if (reports.length === 0) continue
    const rates = reports.map((r) => (r.events / r.ms) * 1000)
    const extra = reports[Math.floor(reports.length / 2)]?.extra
    const notes =
      extra === undefined
        ? ""
        : Object.entries(extra)
            .map(([k, v]) => `${k}: ${typeof v === "number" ? format(v) : v}`)
            .join("; ")
    console.log(
      `| ${workload.name} | ${format(median(rates))} | ${format(reports[0]?.events ?? 0)} | ${format(Math.max(...reports.map((r) => r.maxRssMb)))} | ${notes} |`
    )
  }
}
