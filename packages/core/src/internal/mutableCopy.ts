/**
 * A deep copy of plain data (objects, arrays, Maps, Sets) that the fold may mutate freely.
 * Anything else — class instances such as `DateTime`, functions — is kept by reference: those
 * are immutable values in this codebase, and copying them would lose their prototypes.
 */
export const mutableCopy = <T>(value: T): T => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) return value.map(mutableCopy) as T
  if (value instanceof Map) {
    const copy = new Map()
    for (const [k, v] of value) copy.set(k, mutableCopy(v))
    return copy as T
  }
  if (value instanceof Set) {
    const copy = new Set()
    for (const v of value) copy.add(mutableCopy(v))
    return copy as T
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  const copy: Record<string, unknown> = proto === null ? Object.create(null) : {}
  for (const key of Object.keys(value)) {
    const field = mutableCopy((value as Record<string, unknown>)[key])
    if (key === "__proto__")
      Object.defineProperty(copy, key, { value: field, enumerable: true, writable: true, configurable: true })
    else copy[key] = field
  }
  return copy as T
}
