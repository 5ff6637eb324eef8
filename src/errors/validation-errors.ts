/**
 * One validator error, as both Fastify's request validation and a TypeBox `Compile(...).Errors()`
 * report it. Structural, so this module depends on neither.
 */
export interface SchemaValidationError {
  keyword: string
  instancePath: string
  schemaPath: string
  params?: unknown
  message?: string
}

export interface ValidationIssue {
  loc: (string | number)[]
  msg: string
  type: string
}

const pathOf = (instancePath: string): (string | number)[] =>
  instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment))

/**
 * Turns the validator's errors into FLIP's `[{loc, msg, type}]`, one per problem. A missing or
 * unknown field is reported at the field itself, not at its parent object.
 */
export const toValidationProblem = (
  errors: Iterable<SchemaValidationError>,
  context: string,
): { detail: string; errors: ValidationIssue[] } => {
  const issues: ValidationIssue[] = []
  for (const error of errors) {
    // TypeBox reports an unknown field twice: as the `false` additionalProperties schema failing
    // at the field ("schema is false") and as its parent's additionalProperties error. Keep one.
    if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) continue
    const base = [context, ...pathOf(error.instancePath)]
    const params = (error.params ?? {}) as Record<string, unknown>
    if (error.keyword === 'required' && Array.isArray(params.requiredProperties)) {
      for (const name of params.requiredProperties as string[]) {
        issues.push({ loc: [...base, name], msg: 'Field required', type: 'missing' })
      }
    } else if (error.keyword === 'additionalProperties' && Array.isArray(params.additionalProperties)) {
      for (const name of params.additionalProperties as string[]) {
        issues.push({ loc: [...base, name], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' })
      }
    } else if (error.keyword === 'format' && params.format === 'uuid') {
      // FLIP's (pydantic's) wording and type, which its UI may show: a path id, a role id, any UUID.
      issues.push({ loc: base, msg: 'Input should be a valid UUID', type: 'uuid_parsing' })
    } else {
      issues.push({ loc: base, msg: error.message ?? 'Invalid value', type: error.keyword })
    }
  }
  const first = issues[0]
  const summary = first ? `${first.loc.join('.')}: ${first.msg}` : 'Invalid request'
  const detail =
    issues.length > 1
      ? `${issues.length} validation errors; first: ${summary}`
      : `Validation error: ${summary}`
  return { detail, errors: issues }
}
