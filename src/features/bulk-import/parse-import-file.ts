import { parse } from 'csv-parse/sync'
import { normaliseEmail } from '../../domain/email.js'
import type { Role } from '../../repositories/roles-repository.js'
import type { RegisterUserInput } from '../register-user/register-user.js'
import { createRowChecker } from './check-import-row.js'

export const IMPORT_COLUMNS = ['email', 'name', 'organisation', 'roles'] as const
const OPTIONAL_COLUMNS = ['trustId']

/** One problem in an import file, at its line in the file (the header is line 1). */
export interface ImportProblem {
  line: number
  message: string
}

export type ParsedImport =
  | {
      ok: true
      rows: RegisterUserInput[]
      /** Each row's line in the file (where its record starts), for every message about it. */
      lines: number[]
    }
  | { ok: false; problems: ImportProblem[] }

/** How many columns the header (the first record) has, for a row of another width. */
const headerWidth = (text: string): number => {
  const [header] = parse(text, { bom: true, to_line: 1, relax_quotes: true }) as string[][]
  return header?.length ?? 0
}

/**
 * Reads a user-import CSV (`email,name,organisation,roles[,trustId]`, roles by name or id,
 * `;`-separated) and checks every row as the registration endpoint would, before anything is
 * registered: a file with any problem yields all of its problems and no rows.
 */
export const parseImportFile = (text: string, roles: readonly Role[]): ParsedImport => {
  // A malformed record (a stray quote, a wrong column count) is reported at its line and parsing
  // goes on, so one run lists every problem in the file. Lines count from 1 (the header).
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
        if (!error) return
        const line = Math.max(1, Number((error as { lines?: number }).lines ?? 2))
        // One broken quote can trip the parser twice on the same record: report it once.
        if (malformed.some((problem) => problem.line === line)) return
        const fields = (error as { record?: unknown }).record
        malformed.push({
          line,
          message:
            error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && Array.isArray(fields)
              ? `${fields.length} fields where the header has ${headerWidth(text)}`
              : `malformed CSV: ${error.message}`,
        })
      },
    }) as unknown as { record: string[]; info: { lines: number } }[]
  } catch (error) {
    const { lines, message } = error as { lines?: number; message: string }
    return {
      ok: false,
      problems: [{ line: Math.max(1, lines ?? 1), message: `malformed CSV: ${message}` }],
    }
  }
  const records = parsedRecords.map((parsed) => parsed.record)
  // csv-parse counts lines up to a record's end; a quoted field may span lines, so step back over
  // the line breaks inside the record to the line it starts on.
  const lineOf = (index: number) => {
    const { record, info } = parsedRecords[index + 1]!
    return info.lines - record.reduce((breaks, field) => breaks + (field.match(/\n/g)?.length ?? 0), 0)
  }
  const [header, ...data] = records
  if (!header) return { ok: false, problems: [{ line: 1, message: 'the file is empty' }] }
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
          line: 1,
          message: `the header must be ${IMPORT_COLUMNS.join(',')}[,trustId]; got ${header.join(',')}`,
        },
      ],
    }
  }
  // A file whose only data rows were malformed has rows: it is reported by them, not as empty.
  if (data.length === 0 && malformed.length === 0)
    return { ok: false, problems: [{ line: 1, message: 'the file has a header but no rows' }] }

  const checkRow = createRowChecker(roles)
  const problems: ImportProblem[] = [...malformed]
  const rows: RegisterUserInput[] = []
  const lines: number[] = []
  const firstRowOf = new Map<string, number>()
  data.forEach((record, index) => {
    const line = lineOf(index)
    const [email = '', name = '', organisation = '', roleList = '', trustId = ''] = record
    const roleTokens = roleList
      .split(';')
      .map((part) => part.trim())
      .filter((part) => part !== '')
    const checked = checkRow({ email, name, organisation, roles: roleTokens, trustId })
    if (!checked.ok) for (const message of checked.problems) problems.push({ line, message })
    const key = normaliseEmail(email)
    const earlier = firstRowOf.get(key)
    if (earlier !== undefined)
      problems.push({ line, message: `duplicate email ${email} (also line ${earlier})` })
    else firstRowOf.set(key, line)
    if (checked.ok) {
      rows.push(checked.input)
      lines.push(line)
    }
  })
  problems.sort((a, b) => a.line - b.line)
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows, lines }
}
