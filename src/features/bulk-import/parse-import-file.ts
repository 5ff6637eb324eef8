import { parse } from 'csv-parse/sync'
import { Compile } from 'typebox/compile'
import { normaliseEmail } from '../../domain/email.js'
import { isUuid } from '../../domain/ids.js'
import type { Role } from '../../repositories/roles-repository.js'
import type { RegisterUserInput } from '../register-user/register-user.js'
import { RegisterUserBody } from '../register-user/register-user.schemas.js'

export const IMPORT_COLUMNS = ['email', 'name', 'organisation', 'roles'] as const
const OPTIONAL_COLUMNS = ['trustId']

/** One problem in an import file; `row` counts data rows from 1 (the header is row 0). */
export interface ImportProblem {
  row: number
  message: string
}

export type ParsedImport = { ok: true; rows: RegisterUserInput[] } | { ok: false; problems: ImportProblem[] }

const checkRow = Compile(RegisterUserBody)

/**
 * Reads a user-import CSV (`email,name,organisation,roles[,trustId]`, roles by name or id,
 * `;`-separated) and checks every row as the registration endpoint would, before anything is
 * registered: a file with any problem yields all of its problems and no rows.
 */
export const parseImportFile = (text: string, roles: readonly Role[]): ParsedImport => {
  // A malformed record (a stray quote, a wrong column count) is reported at its row and parsing
  // goes on, so one run lists every problem in the file. Rows are numbered by line (header = 0).
  const malformed: ImportProblem[] = []
  let parsedRecords: { record: string[]; info: { lines: number } }[]
  try {
    parsedRecords = parse(text, {
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const row = Math.max(1, Number((error as { lines?: number } | undefined)?.lines ?? 2) - 1)
        // One broken quote can trip the parser twice on the same record: report it once.
        if (error && !malformed.some((problem) => problem.row === row))
          malformed.push({
            row,
            message: `malformed CSV: ${error.message}`,
          })
      },
    }) as unknown as { record: string[]; info: { lines: number } }[]
  } catch (error) {
    const { lines, message } = error as { lines?: number; message: string }
    return {
      ok: false,
      problems: [{ row: Math.max(0, (lines ?? 1) - 1), message: `malformed CSV: ${message}` }],
    }
  }
  const records = parsedRecords.map((parsed) => parsed.record)
  const rowOf = (index: number) => parsedRecords[index + 1]!.info.lines - 1
  const [header, ...data] = records
  if (!header) return { ok: false, problems: [{ row: 0, message: 'the file is empty' }] }
  const expected = [...IMPORT_COLUMNS, ...OPTIONAL_COLUMNS]
  const headerOk =
    header.length >= IMPORT_COLUMNS.length &&
    header.length <= expected.length &&
    header.every((column, index) => column === expected[index])
  if (!headerOk) {
    return {
      ok: false,
      problems: [
        {
          row: 0,
          message: `the header must be ${IMPORT_COLUMNS.join(',')}[,trustId]; got ${header.join(',')}`,
        },
      ],
    }
  }
  if (data.length === 0)
    return { ok: false, problems: [{ row: 0, message: 'the file has a header but no rows' }] }

  const byName = new Map(roles.map((role) => [role.name.toLowerCase(), role.id]))
  const byId = new Set(roles.map((role) => role.id))
  const problems: ImportProblem[] = [...malformed]
  const rows: RegisterUserInput[] = []
  const firstRowOf = new Map<string, number>()
  data.forEach((record, index) => {
    const row = rowOf(index)
    const [email = '', name = '', organisation = '', roleList = '', trustId = ''] = record
    const roleIds: string[] = []
    for (const token of roleList
      .split(';')
      .map((part) => part.trim())
      .filter((part) => part !== '')) {
      const id =
        isUuid(token) && byId.has(token.toLowerCase()) ? token.toLowerCase() : byName.get(token.toLowerCase())
      if (id) roleIds.push(id)
      else problems.push({ row, message: `unknown role "${token}"` })
    }
    const input = { email, name, organisation, roles: roleIds, ...(trustId ? { trustId } : {}) }
    for (const error of checkRow.Errors(input)) {
      const field = error.instancePath.replace(/^\//, '').split('/')[0] || 'row'
      problems.push({ row, message: `${field}: ${error.message}` })
    }
    const key = normaliseEmail(email)
    const earlier = firstRowOf.get(key)
    if (earlier !== undefined)
      problems.push({ row, message: `duplicate email ${email} (also row ${earlier})` })
    else firstRowOf.set(key, row)
    rows.push({ email, name, organisation, roles: roleIds, trustId: trustId || null })
  })
  problems.sort((a, b) => a.row - b.row)
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows }
}
