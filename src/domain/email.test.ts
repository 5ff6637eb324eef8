import { describe, expect, it } from 'vitest'
import { isEmailAddress } from './email.js'

describe('the one email rule', () => {
  it.each([
    'a@example.org',
    'First.Last@Sub.Example.ORG',
    "o'brien+flip@nhs.example",
    'x_y-z@a-b.c1.io',
    `${'a'.repeat(64)}@${'b'.repeat(63)}.org`,
  ])('accepts %s', (email) => {
    expect(isEmailAddress(email)).toBe(true)
  })

  it.each([
    '"admin"@flip.local',
    'admin@[127.0.0.1]',
    'admin@localhost',
    ' admin@flip.local',
    'admin@flip.local ',
    'a b@example.org',
    'a..b@example.org',
    '.a@example.org',
    'a@-example.org',
    'a@example..org',
    'a\\b@example.org',
    'ä@example.org',
    'a\u0000@example.org',
    '',
    '@example.org',
    'a@',
  ])('refuses %j', (email) => {
    expect(isEmailAddress(email)).toBe(false)
  })

  it('refuses an address longer than 254 characters, and quickly on a long hostile one', () => {
    expect(isEmailAddress(`${'a'.repeat(64)}@${'b.'.repeat(94)}org`)).toBe(false)
    expect(isEmailAddress(`a@${'b-'.repeat(5000)}`)).toBe(false)
  })
})
