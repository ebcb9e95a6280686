/**
 * A compiled shortcut through the schemas most events are made of. Effect's schema parser is
 * general (transformations, effects, detailed issues) and costs about a quarter of a
 * microsecond per small event; the events an aggregate stores are mostly plain structs of
 * strings, numbers, booleans, literals, arrays and nested structs, which a few `typeof` tests
 * check several times faster.
 *
 * `compile` turns such a schema into a function that returns the parsed value, or `declined`
 * when the shortcut will not vouch for the input. Callers then ask Effect's own parser, which
 * gives the verdict and the message: the shortcut only ever accepts what the schema accepts
 * and builds the same value the schema would (tests compare the two on random schemas and
 * inputs). Anything it does not understand (transformations, classes, recursive schemas,
 * index signatures, tuples, unions of two structs or two arrays) makes `compile` return
 * undefined, and the schema's own parser does all the work.
 *
 * In JSON mode the output is also a deeply frozen JSON value, ready to store: numbers must be
 * finite, an object member whose value is `undefined` is left out (as `JSON.stringify` does)
 * and an `undefined` array element declines.
 */
import type { SchemaAST } from "effect"

/** Returned when the shortcut does not vouch for an input. */
export const declined: unique symbol = Symbol("declined")

/** A parsed value, or `declined`. */
export type Shortcut = (input: unknown) => unknown

export interface CompileOptions {
  /** Produce deeply frozen JSON (see the module comment). */
  readonly json: boolean
  /**
   * Build struct parsers as generated code (the default; several times faster than walking a
   * member list). Where code generation is forbidden (a strict Content-Security-Policy), the
   * member-list walk is used anyway.
   */
  readonly generate?: boolean
  /**
   * For the top-level struct only: members whose value is fixed rather than read from the input
   * (a catalog knows an event's `_tag` from its stored type name).
   */
  readonly fixed?: Readonly<Record<string, unknown>>
  /** For the top-level struct only: members neither read nor written (the `_tag` of stored data). */
  readonly omit?: ReadonlyArray<string>
}

const noOptions = {}

/** How to compile: the output form, and whether struct parsers may be generated code. */
interface Mode {
  readonly json: boolean
  readonly generate: boolean
}

/** Whether every check (filter) accepts `value`: a filter reports nothing when it passes. */
const passes = (checks: SchemaAST.Checks, value: unknown, ast: SchemaAST.AST): boolean => {
  for (const check of checks) {
    if (check._tag === "FilterGroup") {
      if (!passes(check.checks, value, ast)) return false
    } else if (check.run(value, ast, noOptions) !== undefined) {
      return false
    }
  }
  return true
}

/** A leaf: a type test, then the node's checks. */
const leaf = (ast: SchemaAST.AST, test: (input: unknown) => boolean): Shortcut => {
  const checks = ast.checks
  if (checks === undefined) return (input) => (test(input) ? input : declined)
  return (input) => (test(input) && passes(checks, input, ast) ? input : declined)
}

/** Runs a container's checks on its built value and freezes it in JSON mode. */
const finish = <A extends object>(ast: SchemaAST.AST, { json }: Mode): ((value: A) => unknown) => {
  const checks = ast.checks
  return (value) => {
    if (checks !== undefined && !passes(checks, value, ast)) return declined
    return json ? Object.freeze(value) : value
  }
}

/** A node whose accepted values are primitives, returned as they are (nested unions included). */
const isPrimitiveNode = (ast: SchemaAST.AST): boolean =>
  ast._tag === "String" ||
  ast._tag === "Number" ||
  ast._tag === "Boolean" ||
  ast._tag === "Null" ||
  ast._tag === "Undefined" ||
  ast._tag === "Literal" ||
  (ast._tag === "Union" && ast.types.every(isPrimitiveNode))

const compileArray = (ast: SchemaAST.Arrays, mode: Mode): Shortcut | undefined => {
  // Only homogeneous arrays (`Schema.Array(item)`); tuples keep Effect's parser.
  if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
  const item = compileNode(ast.rest[0] as SchemaAST.AST, mode)
  if (item === undefined) return undefined
  const json = mode.json
  const done = finish<Array<unknown>>(ast, mode)
  return (input) => {
    if (!Array.isArray(input)) return declined
    const out: Array<unknown> = new Array(input.length)
    for (let i = 0; i < input.length; i++) {
      const value = item(input[i])
      if (value === declined || (json && value === undefined)) return declined
      out[i] = value
    }
    return done(out)
  }
}

interface Member {
  readonly name: string
  readonly optional: boolean
  /** Parses the member's value; undefined for a fixed member, which is not read. */
  readonly parse: Shortcut | undefined
  readonly fixed?: unknown
}

const compileObject = (
  ast: SchemaAST.Objects,
  mode: Mode,
  fixed: Readonly<Record<string, unknown>> = {},
  omit: ReadonlyArray<string> = []
): Shortcut | undefined => {
  // An empty struct passes its input through untouched in Effect: left to Effect.
  if (ast.indexSignatures.length !== 0 || ast.propertySignatures.length === 0) return undefined
  const members: Array<Member> = []
  for (const property of ast.propertySignatures) {
    const name = property.name
    // Effect looks up "__proto__" differently from other keys; symbols are not JSON.
    if (typeof name !== "string" || name === "__proto__") return undefined
    if (omit.includes(name)) continue
    if (Object.hasOwn(fixed, name)) {
      members.push({ name, optional: false, parse: undefined, fixed: fixed[name] })
      continue
    }
    const parse = compileNode(property.type, mode)
    if (parse === undefined) return undefined
    members.push({ name, optional: property.type.context?.isOptional === true, parse })
  }
  const done = finish<Record<string, unknown>>(ast, mode)
  return (mode.generate ? generateStruct(members, mode.json, done) : undefined) ?? walkStruct(members, mode.json, done)
}

/** A struct parser that walks its member list: the portable form. */
const walkStruct =
  (members: ReadonlyArray<Member>, json: boolean, done: (out: Record<string, unknown>) => unknown): Shortcut =>
  (input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return declined
    const record = input as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (let i = 0; i < members.length; i++) {
      const member = members[i] as Member
      const name = member.name
      if (member.parse === undefined) {
        out[name] = member.fixed
        continue
      }
      // Effect tests presence with `in`, so inherited members count, exactly as here.
      if (!(name in record)) {
        if (member.optional) continue
        return declined
      }
      const value = member.parse(record[name])
      if (value === declined) return declined
      if (json && value === undefined) continue
      out[name] = value
    }
    return done(out)
  }

/**
 * The same parser as generated code: one statement per member with the member's name as a
 * constant, so the engine builds every output object along one fixed path of hidden classes
 * instead of looking each name up. Names enter the code only as JSON string literals. Returns
 * undefined where code generation is forbidden.
 */
const generateStruct = (
  members: ReadonlyArray<Member>,
  json: boolean,
  done: (out: Record<string, unknown>) => unknown
): Shortcut | undefined => {
  const lines = [
    "return function (input) {",
    "if (typeof input !== 'object' || input === null || Array.isArray(input)) return declined",
    "const out = {}"
  ]
  members.forEach((member, i) => {
    const key = JSON.stringify(member.name)
    if (member.parse === undefined) {
      lines.push(`out[${key}] = fixed[${i}]`)
      return
    }
    const store = json ? `if (v${i} !== undefined) out[${key}] = v${i}` : `out[${key}] = v${i}`
    const parse = `const v${i} = parse[${i}](input[${key}]); if (v${i} === declined) return declined; ${store}`
    lines.push(
      member.optional ? `if (${key} in input) { ${parse} }` : `if (!(${key} in input)) return declined; ${parse}`
    )
  })
  lines.push("return done(out)", "}")
  try {
    const make = new Function("declined", "done", "parse", "fixed", lines.join("\n"))
    return make(
      declined,
      done,
      members.map((member) => member.parse),
      members.map((member) => member.fixed)
    ) as Shortcut
  } catch {
    return undefined
  }
}

const isAnyOf = (ast: SchemaAST.Union): boolean => (ast.options?.mode ?? "anyOf") === "anyOf"

/** The members of nested plain unions, in the order Effect tries them. */
const flatten = (types: ReadonlyArray<SchemaAST.AST>): Array<SchemaAST.AST> =>
  types.flatMap((type) =>
    type._tag === "Union" && isAnyOf(type) && type.checks === undefined && type.encoding === undefined
      ? flatten(type.types)
      : [type]
  )

const compileUnion = (ast: SchemaAST.Union, mode: Mode): Shortcut | undefined => {
  // Effect tries the members in turn and keeps the first that accepts. Primitives, one struct
  // and one array accept disjoint inputs, so whichever member accepts here is the one Effect
  // keeps (literal sets, nullable or optional fields). Two structs could both accept one input
  // and build different values: left to Effect.
  if (!isAnyOf(ast)) return undefined
  const types = flatten(ast.types)
  const structs = types.filter((type) => type._tag === "Objects").length
  const arrays = types.filter((type) => type._tag === "Arrays").length
  if (structs > 1 || arrays > 1 || structs + arrays + types.filter(isPrimitiveNode).length !== types.length) {
    return undefined
  }
  const members: Array<Shortcut> = []
  for (const type of types) {
    const parse = compileNode(type, mode)
    if (parse === undefined) return undefined
    members.push(parse)
  }
  const checks = ast.checks
  return (input) => {
    for (let i = 0; i < members.length; i++) {
      const value = (members[i] as Shortcut)(input)
      if (value !== declined) return checks === undefined || passes(checks, value, ast) ? value : declined
    }
    return declined
  }
}

const compileNode = (ast: SchemaAST.AST, mode: Mode): Shortcut | undefined => {
  if (ast.encoding !== undefined) return undefined
  switch (ast._tag) {
    case "String":
      return leaf(ast, (input) => typeof input === "string")
    case "Number":
      return leaf(ast, mode.json ? (input) => Number.isFinite(input) : (input) => typeof input === "number")
    case "Boolean":
      return leaf(ast, (input) => typeof input === "boolean")
    case "Null":
      return leaf(ast, (input) => input === null)
    case "Undefined":
      return leaf(ast, (input) => input === undefined)
    case "Literal": {
      const literal = ast.literal
      return typeof literal === "bigint" ? undefined : leaf(ast, (input) => input === literal)
    }
    case "Union":
      return compileUnion(ast, mode)
    case "Arrays":
      return compileArray(ast, mode)
    case "Objects":
      return compileObject(ast, mode)
    default:
      return undefined
  }
}

/**
 * Compiles a shortcut for `ast`, or returns undefined when the schema holds something the
 * shortcut does not understand. `fixed` and `omit` apply to a top-level struct.
 */
export const compile = (ast: SchemaAST.AST, options: CompileOptions): Shortcut | undefined => {
  const mode: Mode = { json: options.json, generate: options.generate ?? true }
  if (ast._tag === "Objects" && ast.encoding === undefined) {
    return compileObject(ast, mode, options.fixed, options.omit)
  }
  if (options.fixed !== undefined || options.omit !== undefined) return undefined
  const parse = compileNode(ast, mode)
  // `undefined` alone is no JSON value (inside an object it is a member left out).
  return parse === undefined || !mode.json ? parse : (input) => (input === undefined ? declined : parse(input))
}
