/** @vouch/testing — the conformance suite, decider specs and arbitraries. */
export * as EventStoreSuite from "./EventStoreSuite.ts"
