import { describe, expect, it } from 'vitest'
import { parseWebOrigin, uniqueOrigins, webOriginOf } from './web-origin.js'

describe('web origins', () => {
  it('reads an operator-written origin in the form a browser sends it', () => {
    expect(parseWebOrigin('https://flip.example.org')).toBe('https://flip.example.org')
    expect(parseWebOrigin('https://FLIP.Example.org:443/')).toBe('https://flip.example.org')
    expect(parseWebOrigin('http://localhost:3000')).toBe('http://localhost:3000')
    expect(parseWebOrigin('http://127.0.0.1:80')).toBe('http://127.0.0.1')
    expect(parseWebOrigin(' https://ui.example.org:8443 ')).toBe('https://ui.example.org:8443')
  })

  it('refuses anything that is not scheme://host[:port]', () => {
    for (const value of [
      '',
      '*',
      'flip.example.org',
      'https://flip.example.org/app',
      'https://flip.example.org?x=1',
      'https://flip.example.org#top',
      'https://user:pw@flip.example.org',
      'ftp://flip.example.org',
      'myapp://callback',
      'https://',
      'https://flip.example.org:99999',
    ]) {
      expect(parseWebOrigin(value), value).toBeUndefined()
    }
  })

  it('takes the origin of a callback URL and ignores app schemes', () => {
    expect(webOriginOf('https://ui.example.org:443/auth/callback?x=1')).toBe('https://ui.example.org')
    expect(webOriginOf('http://localhost:5173/logout')).toBe('http://localhost:5173')
    expect(webOriginOf('myapp://callback')).toBeUndefined()
    expect(webOriginOf('not a url')).toBeUndefined()
  })

  it('keeps each origin once, in first-seen order', () => {
    expect(uniqueOrigins(['https://b.example', undefined, 'https://a.example', 'https://b.example'])).toEqual(
      ['https://b.example', 'https://a.example'],
    )
  })
})
