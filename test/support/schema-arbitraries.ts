import fc from 'fast-check'

/** A JSON Schema as the OpenAPI document at /api/docs/json gives it. */
export type JsonSchema = Record<string, unknown> & {
  type?: string
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
}

/** Known values a route can name, so generated requests also reach past "not found". */
export interface SchemaContext {
  ids: () => string[]
  emails: () => string[]
}

/** Strings no route should choke on: NUL, unpaired surrogates, 70 kB, injection, odd Unicode. */
export const hostileStrings = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\uDE00\uD83D',
  'a'.repeat(70_000),
  '',
  ' ',
  '%',
  '%00',
  '../../etc/passwd',
  "'; DROP TABLE user_profile; --",
  '😀',
  '\u202Eevil',
  '\\',
  '"',
  'null',
  '-1',
  '1e309',
  '9'.repeat(40),
  '<script>alert(1)</script>',
  'ADMIN@FLIP.LOCAL ',
  '"admin"@flip.local',
]

/** Values of the wrong type for any field. */
const hostileValues: unknown[] = [
  ...hostileStrings,
  0,
  -1,
  1.5,
  1e308,
  true,
  false,
  null,
  [],
  {},
  [null],
  { $ne: null },
  ['\u0000'],
  { '\u0000': '\uD800' },
]

export const hostileValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(fc.constantFrom(...hostileValues), fc.jsonValue({ maxDepth: 2 }))

const plainEmail = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,12}[a-z0-9]$/),
    fc.constantFrom('example.org', 'nhs.example', 'x.io'),
  )
  .map(([local, domain]) => `${local.replace(/\.{2,}/g, '.')}@${domain}`)

const stringOf = (schema: JsonSchema, context: SchemaContext): fc.Arbitrary<string> => {
  const maxLength = Math.min(schema.maxLength ?? 40, 40)
  const minLength = Math.min(schema.minLength ?? 0, maxLength)
  switch (schema.format) {
    case 'uuid':
      return fc.oneof({ weight: 3, arbitrary: pick(() => ids(context)) }, { weight: 1, arbitrary: fc.uuid() })
    case 'email':
      return fc.oneof(
        { weight: 2, arbitrary: plainEmail },
        { weight: 1, arbitrary: pick(() => emails(context)) },
        { weight: 1, arbitrary: fc.emailAddress() },
      )
    case 'date-time':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((date) => date.toISOString())
  }
  if (schema.pattern)
    return fc
      .stringMatching(new RegExp(schema.pattern, 'u'))
      .filter(
        (value) => value.length >= minLength && value.length <= (schema.maxLength ?? Number.MAX_SAFE_INTEGER),
      )
  return fc.oneof(
    fc.string({ minLength: Math.max(minLength, 1), maxLength, unit: 'grapheme' }),
    fc.stringMatching(/^[A-Za-z][A-Za-z ']{0,20}$/),
    fc.constantFrom('1', '2', '0', '50', 'abc').filter((value) => value.length >= minLength),
  )
}
/** One of a list known only when the request is generated (the ids of this run's users). */
const pick = (list: () => string[]) =>
  fc.nat().map((index) => {
    const values = list()
    return values[index % values.length]!
  })

const ids = (context: SchemaContext) => {
  const known = context.ids()
  return known.length > 0 ? known : ['6d1da2d7-e510-488c-9085-8608cd817256']
}
const emails = (context: SchemaContext) => {
  const known = context.emails()
  return known.length > 0 ? known : ['nobody@example.org']
}

/** A value the schema accepts (mostly), nodes sometimes replaced by hostile ones when `hostile`. */
export const arbitraryOf = (
  schema: JsonSchema,
  context: SchemaContext,
  hostile: boolean,
): fc.Arbitrary<unknown> => {
  const valid = validArbitraryOf(schema, context, hostile)
  return hostile ? fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: hostileValue() }) : valid
}

const validArbitraryOf = (
  schema: JsonSchema,
  context: SchemaContext,
  hostile: boolean,
): fc.Arbitrary<unknown> => {
  const variants = schema.anyOf ?? schema.oneOf
  if (variants) return fc.oneof(...variants.map((variant) => arbitraryOf(variant, context, hostile)))
  if ('const' in schema) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  switch (schema.type) {
    case 'string':
      return stringOf(schema, context)
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 })
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(arbitraryOf(schema.items ?? {}, context, hostile), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      })
    case 'object':
      return objectOf(schema, context, hostile)
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

const objectOf = (schema: JsonSchema, context: SchemaContext, hostile: boolean): fc.Arbitrary<unknown> => {
  const properties = schema.properties ?? {}
  const record = fc.record(
    Object.fromEntries(
      Object.entries(properties).map(([name, property]) => [name, arbitraryOf(property, context, hostile)]),
    ),
    { requiredKeys: (schema.required ?? []).filter((name) => name in properties) },
  ) as fc.Arbitrary<Record<string, unknown>>
  if (!hostile) return record
  // Missing required fields and extra fields, now and then.
  return fc
    .tuple(
      record,
      fc.option(fc.constantFrom(...(schema.required ?? ['-'])), { freq: 6 }),
      fc.option(
        fc.tuple(fc.constantFrom('extra', 'isAdmin', '__proto__', '\u0000', 'role'), hostileValue()),
        {
          freq: 6,
        },
      ),
    )
    .map(([value, drop, extra]) => {
      const copy: Record<string, unknown> = { ...value }
      if (drop !== null) delete copy[drop]
      if (extra !== null) Object.defineProperty(copy, extra[0], { value: extra[1], enumerable: true })
      return copy
    })
}
