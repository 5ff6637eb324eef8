import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'
import type { TSchema } from 'typebox'
import { textProblemMessages, textProblemOf } from '../domain/text.js'

/** Enough to point at the problem; a 1000-row batch of bad names need not list every row. */
const MAX_ISSUES = 20

const pointerSegment = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * Every string in a request part (values and object keys, at any depth) that cannot be stored or
 * sent on, as validation errors in the validator's own shape. Iterative, so a deeply nested body
 * cannot exhaust the stack.
 */
export const unsafeStringErrors = (value: unknown): FastifySchemaValidationError[] => {
  const errors: FastifySchemaValidationError[] = []
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }]
  const check = (text: string, path: string) => {
    const problem = textProblemOf(text)
    if (problem)
      errors.push({
        keyword: `string_${problem}`,
        instancePath: path,
        schemaPath: '',
        params: {},
        message: textProblemMessages[problem],
      })
  }
  while (pending.length > 0 && errors.length < MAX_ISSUES) {
    const next = pending.pop()!
    if (typeof next.value === 'string') check(next.value, next.path)
    else if (Array.isArray(next.value)) {
      for (let index = next.value.length - 1; index >= 0; index--)
        pending.push({ value: next.value[index], path: `${next.path}/${index}` })
    } else if (next.value !== null && typeof next.value === 'object') {
      const entries = Object.entries(next.value)
      for (let index = entries.length - 1; index >= 0; index--) {
        const [key, child] = entries[index]!
        const path = `${next.path}/${pointerSegment(key)}`
        check(key, path)
        pending.push({ value: child, path })
      }
    }
  }
  return errors.slice(0, MAX_ISSUES)
}

/**
 * TypeBox's validator, plus the one rule every string of every route obeys whatever its schema
 * says: no NUL and no unpaired surrogate, in the body, the query, the path and the headers. A
 * request breaking it is a 422 like any other validation failure, and nothing runs.
 */
export const requestValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const validate = TypeBoxValidatorCompiler(route) as (value: unknown) => {
    value?: unknown
    error?: FastifySchemaValidationError[]
  }
  return (value: unknown) => {
    const unsafe = unsafeStringErrors(value)
    if (unsafe.length === 0) return validate(value)
    const flagged = new Set(unsafe.map((error) => error.instancePath))
    const others = validate(value).error?.filter((error) => !flagged.has(error.instancePath)) ?? []
    return { error: [...unsafe, ...others] }
  }
}
