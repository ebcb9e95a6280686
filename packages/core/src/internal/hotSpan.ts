/**
 * Spans on the hot paths: every append, stream read, global read and command. Effect's default
 * tracer keeps spans in memory and exports them nowhere, yet creating one costs several
 * microseconds — more than an in-memory append of ten events. When that default is the active
 * tracer, no backend could ever see the span, so the effect runs without one; with any other
 * tracer installed (OpenTelemetry, a test's recorder) the span is made exactly as before.
 * Effect documents this comparison with `Tracer.nativeTracer` for this purpose.
 */
import { Effect, Tracer } from "effect"

export const withHotSpan =
  (name: string, attributes: () => Record<string, unknown>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Effect.tracer, (tracer) =>
      tracer === Tracer.nativeTracer
        ? effect
        : effect.pipe(Effect.withSpan(name, { attributes: attributes() }, { captureStackTrace: false }))
    )
