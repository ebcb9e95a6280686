import { MemoryEventStore } from "@vouch/store-memory"
import { EventStoreSuite } from "@vouch/testing"

EventStoreSuite.run({ name: "memory", layer: MemoryEventStore.layer })
