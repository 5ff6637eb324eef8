import { describe, expect, it } from 'vitest'
import { RESEARCHER_ROLE_ID, seededRoles, VIEWER_ROLE_ID } from '../../domain/roles.js'
import { parseImportFile } from './parse-import-file.js'

const roles = seededRoles.map(({ id, name, description }) => ({ id, name, description }))
const header = 'email,name,organisation,roles'

describe('reading a user-import file', () => {
  it('reads roles by name (any case) or id, separated by semicolons', () => {
    const parsed = parseImportFile(
      `${header}\nada@example.org,Ada,NHS Trust,researcher; Viewer\nbob@example.org,Bob,Org,${VIEWER_ROLE_ID}\n`,
      roles,
    )
    expect(parsed).toEqual({
      ok: true,
      lines: [2, 3],
      rows: [
        {
          email: 'ada@example.org',
          name: 'Ada',
          organisation: 'NHS Trust',
          roles: [RESEARCHER_ROLE_ID, VIEWER_ROLE_ID],
          trustId: null,
        },
        {
          email: 'bob@example.org',
          name: 'Bob',
          organisation: 'Org',
          roles: [VIEWER_ROLE_ID],
          trustId: null,
        },
      ],
    })
  })

  it('accepts the optional trustId column', () => {
    const trust = '3f9c5d21-7a64-4f0e-9b1d-2c8e6a4b7f35'
    const parsed = parseImportFile(`${header},trustId\nt@example.org,T,Org,Trust Admin,${trust}\n`, roles)
    expect(parsed.ok && parsed.rows[0]!.trustId).toBe(trust)
  })

  it.each([
    ['an empty file', '', [{ line: 1, message: 'the file is empty' }]],
    ['a header and no rows', `${header}\n`, [{ line: 1, message: 'the file has a header but no rows' }]],
    [
      'a wrong header',
      'mail,name,org,roles\nx@y.org,X,O,Viewer\n',
      [{ line: 1, message: expect.stringMatching(/^the header must be/) }],
    ],
  ])('refuses %s', (_label, text, problems) => {
    expect(parseImportFile(text, roles)).toEqual({ ok: false, problems })
  })

  it('lists every problem at its line in the file: unknown roles, bad fields, duplicates inside the file, bad quoting', () => {
    const text = [
      header,
      'a@example.org,A,Org,Nope',
      'not-an-email,B,Org,Viewer',
      'A@example.org,C,Org,Viewer',
      `d@example.org,${'x'.repeat(300)},Org,Viewer`,
      'e@example.org,"bro"ken,Org,Viewer',
    ].join('\n')
    const parsed = parseImportFile(text, roles)
    expect(parsed.ok).toBe(false)
    const problems = parsed.ok ? [] : parsed.problems
    expect(problems).toEqual([
      { line: 2, message: 'unknown role "Nope"' },
      { line: 3, message: expect.stringMatching(/^email: /) },
      { line: 4, message: 'duplicate email A@example.org (also line 2)' },
      { line: 5, message: expect.stringMatching(/^name: /) },
      { line: 6, message: expect.stringMatching(/^malformed CSV: /) },
    ])
  })

  it('refuses a NUL in a name or organisation, as the HTTP routes do (PostgreSQL text cannot hold it)', () => {
    const text = [header, 'a@example.org,A\u0000,Org,Viewer', 'b@example.org,B,\u0000rg,Viewer'].join('\n')
    expect(parseImportFile(text, roles)).toEqual({
      ok: false,
      problems: [
        { line: 2, message: 'name: String should not contain the NUL character (U+0000)' },
        { line: 3, message: 'organisation: String should not contain the NUL character (U+0000)' },
      ],
    })
  })

  it('reports a single data row of the wrong width as that, not as a file without rows', () => {
    expect(parseImportFile(`${header}\nx@example.org,X,Org\n`, roles)).toEqual({
      ok: false,
      problems: [{ line: 2, message: '3 fields where the header has 4' }],
    })
  })

  it('numbers rows by the line they start on, past blank lines and quoted line breaks', () => {
    const text = `${header}\n\na@example.org,"Ada\nLovelace",Org,Wizard\nb@example.org,Bob,Org,Nope\n`
    expect(parseImportFile(text, roles)).toEqual({
      ok: false,
      problems: [
        { line: 3, message: 'unknown role "Wizard"' },
        { line: 5, message: 'unknown role "Nope"' },
      ],
    })
  })
})
