/** @vouch/testing — the conformance suite, decider specs, command-sequence properties and arbitraries. */
export * as Arbitraries from "./Arbitraries.ts"
export * as CommandSequences from "./CommandSequences.ts"
export * as DeciderSpec from "./DeciderSpec.ts"
export * as EventStoreSuite from "./EventStoreSuite.ts"
