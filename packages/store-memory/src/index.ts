/** The in-memory reference `EventStore` adapter. */
export * as MemoryEventStore from "./MemoryEventStore.ts"
