import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { errorCatalogue } from '../../src/errors/error-catalogue.js'
import { httpStatusOf } from '../../src/errors/http-status.js'

describe('the error catalogue', () => {
  it('is documented in docs/errors.md code for code, with its kind and status', async () => {
    const doc = await readFile(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8')
    const documented = [...doc.matchAll(/^\|\s*`([a-z_.]+)`\s*\|\s*(\w+)\s*\|\s*(\d{3})\s*\|$/gm)].map(
      (m) => [m[1], m[2], Number(m[3])],
    )
    const expected = Object.entries(errorCatalogue).map(([code, kind]) => [code, kind, httpStatusOf[kind]])
    expect(documented).toEqual(expected)
  })
})
