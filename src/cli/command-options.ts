import { registrationStates } from '../domain/registration-state.js'
import type { Options } from './command-table.js'

/**
 * Each command's options, apart from the command table: the table (command-specs.ts) lazily
 * imports the commands, and the commands type their parsed values by these, so both import this
 * module instead of each other.
 */

export const tokenOptions = {
  email: { type: 'string', value: 'EMAIL', required: true, description: 'whose token to mint' },
  ttl: {
    type: 'string',
    value: 'TTL',
    default: '1h',
    description: 'how long it is valid: 30m, 1h, 2d or a number of seconds',
  },
} as const satisfies Options

export const registrationsListOptions = {
  state: { type: 'string', value: 'STATE', description: `only this state: ${registrationStates.join(', ')}` },
  limit: { type: 'string', value: 'N', default: '100', description: 'at most N registrations' },
  json: { type: 'boolean', description: 'print JSON instead of a table' },
} as const satisfies Options

export const usersImportOptions = {
  out: {
    type: 'string',
    value: 'RESULTS.csv',
    description: 'where to write a result per row (default FILE.results.csv)',
  },
  concurrency: { type: 'string', value: 'N', default: '16', description: 'rows registered at once' },
} as const satisfies Options

export const usersRegisterOptions = {
  email: { type: 'string', value: 'EMAIL', required: true, description: 'the new user’s address' },
  name: { type: 'string', value: 'NAME', required: true, description: 'full name' },
  organisation: { type: 'string', value: 'ORG', required: true, description: 'organisation' },
  role: { type: 'string', value: 'ROLE', multiple: true, required: true, description: 'role name or id' },
  'trust-id': { type: 'string', value: 'ID', description: 'the trust a Trust Admin belongs to' },
} as const satisfies Options
