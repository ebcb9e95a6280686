import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { CheckpointStore, EventStore } from "@vouch/core"
import { FileEventStore } from "@vouch/store-file"
import { EventStoreSuite } from "@vouch/testing"
import { Context, Effect, Layer } from "effect"

/** A fresh store in a fresh temporary directory, removed when the case ends. */
const freshLayer = Layer.effectContext(
  Effect.gen(function* () {
    const directory = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "vouch-file-suite-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    const { eventStore, checkpointStore } = yield* FileEventStore.make({ directory, segmentSize: 1 << 20 })
    return Context.make(EventStore.EventStore, eventStore).pipe(
      Context.add(CheckpointStore.CheckpointStore, checkpointStore)
    )
  })
)

EventStoreSuite.run({ name: "file", layer: freshLayer })
