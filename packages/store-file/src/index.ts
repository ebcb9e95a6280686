/** The file `EventStore` adapter: durable, crash-safe, in one directory of plain files. */
export * as FileEventStore from "./FileEventStore.ts"
