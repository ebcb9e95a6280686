/**
 * Serves requests issued together with shared statements. Every statement costs a round trip, a
 * socket write, the client-side overhead of a query and, for a write, a commit; requests started
 * while others are under way (many fibers rehydrating aggregates, or appending to their own
 * streams) can share one. A request made while nothing is under way is served at once, on its own,
 * so a lone caller pays nothing for this. Otherwise it joins a queue; the first one forks a taker
 * that yields once, so the requests started alongside it join too, then takes up to `maxBatch` of
 * them (forking the next taker if more are queued, so several statements stay in flight and the
 * client works on one result while the server produces another), and hands each request its own
 * outcome.
 */
import { Deferred, Effect, Exit, type Scope } from "effect"

/** Submits a request; its outcome is exactly the one `serve` gave it. */
export type Submit<A, B, E> = (request: A) => Effect.Effect<B, E>

interface Pending<A, B, E> {
  readonly request: A
  readonly deferred: Deferred.Deferred<B, E>
}

/**
 * A batcher in `scope`. `serve` gets one to `maxBatch` requests, oldest first, and returns one
 * outcome per request in the same order. `closed` is the failure of requests still waiting when
 * the scope closes.
 */
export const make = <A, B, E>(options: {
  readonly maxBatch: number
  readonly serve: (requests: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<Exit.Exit<B, E>>>
  readonly closed: () => E
  readonly scope: Scope.Scope
}): Submit<A, B, E> => {
  const { maxBatch, serve, closed, scope } = options
  const queue: Array<Pending<A, B, E>> = []
  let takerScheduled = false
  // Takers started and requests served at once, not yet finished; while there are none, a request
  // is served at once.
  let underWay = 0
  const done = Effect.sync(() => {
    underWay--
  })

  const settle = (batch: ReadonlyArray<Pending<A, B, E>>, exits: ReadonlyArray<Exit.Exit<B, E>>) =>
    Effect.sync(() => {
      for (let i = 0; i < batch.length; i++) {
        const pending = batch[i] as Pending<A, B, E>
        Deferred.doneUnsafe(pending.deferred, exits[i] ?? Exit.fail(closed()))
      }
    })

  // Whatever happens to a taker (the scope closing), nobody it took is left waiting.
  const failUnsettled = (batch: ReadonlyArray<Pending<A, B, E>>) =>
    Effect.sync(() => {
      for (const pending of batch) {
        if (!Deferred.isDoneUnsafe(pending.deferred)) Deferred.doneUnsafe(pending.deferred, Exit.fail(closed()))
      }
    })

  const take: Effect.Effect<void> = Effect.andThen(
    Effect.yieldNow,
    Effect.suspend(() => {
      const batch = queue.splice(0, maxBatch)
      if (batch.length === 0) {
        // Everyone queued gave up before this taker ran.
        takerScheduled = false
        return Effect.void
      }
      const requests = batch.map((pending) => pending.request)
      const served = Effect.flatMap(serve(requests), (exits) => settle(batch, exits)).pipe(
        Effect.ensuring(failUnsettled(batch))
      )
      if (queue.length === 0) {
        takerScheduled = false
        return served
      }
      return Effect.andThen(startTaker, served)
    })
  ).pipe(
    // Interrupted before taking its batch (the scope closing): fail what is queued.
    Effect.onInterrupt(() =>
      Effect.sync(() => {
        for (const pending of queue.splice(0)) Deferred.doneUnsafe(pending.deferred, Exit.fail(closed()))
        takerScheduled = false
      })
    ),
    Effect.ensuring(done)
  )
  const startTaker = Effect.suspend(() => {
    underWay++
    return Effect.asVoid(Effect.forkIn(take, scope))
  })

  return (request) =>
    Effect.suspend(() => {
      if (underWay === 0) {
        underWay++
        return Effect.flatMap(serve([request]).pipe(Effect.ensuring(done)), (exits) => exits[0] ?? Exit.fail(closed()))
      }
      const deferred = Deferred.makeUnsafe<B, E>()
      // Joining the queue and starting its taker happen together, or not at all.
      const enqueue = Effect.uninterruptible(
        Effect.suspend(() => {
          queue.push({ request, deferred })
          if (takerScheduled) return Effect.void
          takerScheduled = true
          return startTaker
        })
      )
      // A caller that gives up while its request is still queued takes it out: it is never sent.
      const leave = Effect.sync(() => {
        const at = queue.findIndex((pending) => pending.deferred === deferred)
        if (at >= 0) queue.splice(at, 1)
      })
      return Effect.andThen(
        enqueue,
        Effect.onInterrupt(Deferred.await(deferred), () => leave)
      )
    })
}
