import { Compile } from 'typebox/compile'
import { isUuid } from '../../domain/ids.js'
import { textProblemMessages, textProblemOf } from '../../domain/text.js'
import type { Role } from '../../repositories/roles-repository.js'
import type { RegisterUserInput } from '../register-user/register-user.js'
import { RegisterUserBody } from '../register-user/register-user.schemas.js'

/** One registration as an operator writes it: roles by name (any case) or id, a trust id or ''. */
export interface ImportRowFields {
  email: string
  name: string
  organisation: string
  roles: readonly string[]
  trustId: string
}

export type CheckedRow = { ok: true; input: RegisterUserInput } | { ok: false; problems: string[] }

const checkBody = Compile(RegisterUserBody)

/**
 * Checks one row as the registration endpoint would, before anything is registered, so an import
 * file and `users register` refuse the same things with the same words. Every problem is listed.
 */
export const createRowChecker = (roles: readonly Role[]) => {
  const byName = new Map(roles.map((role) => [role.name.toLowerCase(), role.id]))
  const byId = new Set(roles.map((role) => role.id))
  const roleIdOf = (token: string) =>
    isUuid(token) && byId.has(token.toLowerCase()) ? token.toLowerCase() : byName.get(token.toLowerCase())

  return (fields: ImportRowFields): CheckedRow => {
    const { email, name, organisation, trustId } = fields
    const problems: string[] = []
    const roleIds: string[] = []
    for (const token of fields.roles) {
      const id = roleIdOf(token)
      if (id) roleIds.push(id)
      else problems.push(`unknown role "${token}"`)
    }
    // As every request string is (http/request-validator.ts): PostgreSQL text cannot hold NUL.
    for (const [field, value] of Object.entries({ name, organisation })) {
      const problem = textProblemOf(value)
      if (problem) problems.push(`${field}: ${textProblemMessages[problem]}`)
    }
    const body = { email, name, organisation, roles: roleIds, ...(trustId ? { trustId } : {}) }
    for (const error of checkBody.Errors(body)) {
      const field = error.instancePath.replace(/^\//, '').split('/')[0] || 'row'
      problems.push(`${field}: ${error.message}`)
    }
    if (problems.length > 0) return { ok: false, problems }
    return { ok: true, input: { email, name, organisation, roles: roleIds, trustId: trustId || null } }
  }
}
