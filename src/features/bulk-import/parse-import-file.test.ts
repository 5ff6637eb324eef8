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
    ['an empty file', '', [{ row: 0, message: 'the file is empty' }]],
    ['a header and no rows', `${header}\n`, [{ row: 0, message: 'the file has a header but no rows' }]],
    [
      'a wrong header',
      'mail,name,org,roles\nx@y.org,X,O,Viewer\n',
      [{ row: 0, message: expect.stringMatching(/^the header must be/) }],
    ],
  ])('refuses %s', (_label, text, problems) => {
    expect(parseImportFile(text, roles)).toEqual({ ok: false, problems })
  })

  it('lists every problem with its row: unknown roles, bad fields, duplicates inside the file, bad quoting', () => {
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
      { row: 1, message: 'unknown role "Nope"' },
      { row: 2, message: expect.stringMatching(/^email: /) },
      { row: 3, message: 'duplicate email A@example.org (also row 1)' },
      { row: 4, message: expect.stringMatching(/^name: /) },
      { row: 5, message: expect.stringMatching(/^malformed CSV: /) },
    ])
  })
})
