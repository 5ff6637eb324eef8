/**
 * Web origins (`scheme://host[:port]`) as a browser sends them in `Origin`: lower-case scheme and
 * host, the default port dropped, no path. CORS compares origins as exact strings, so every
 * origin the service allows is put in this form first.
 */

const WEB_SCHEMES = new Set(['http:', 'https:'])

const parse = (value: string): URL | undefined => {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

/**
 * The origin of an http(s) URL, whatever its path: `https://ui.example.org:443/cb?x` →
 * `https://ui.example.org`. Undefined for anything else (an app scheme such as `myapp://`,
 * which no browser page is served from, or text that is not a URL).
 */
export const webOriginOf = (url: string): string | undefined => {
  const parsed = parse(url.trim())
  return parsed && WEB_SCHEMES.has(parsed.protocol) ? parsed.origin : undefined
}

/**
 * An origin as an operator writes one: `scheme://host[:port]`, optionally with a trailing slash,
 * and nothing else (no path, query, fragment or credentials). Undefined when it is not one.
 */
export const parseWebOrigin = (value: string): string | undefined => {
  const text = value.trim().replace(/\/$/, '')
  const parsed = parse(text)
  if (!parsed || !WEB_SCHEMES.has(parsed.protocol)) return undefined
  if (parsed.username !== '' || parsed.password !== '') return undefined
  // Compared on the text, not the parsed URL: `https://a.example/#` and `…?` parse to an empty
  // hash and search, yet are not origins.
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#@]+$/i.test(text)) return undefined
  return parsed.origin
}

/** Origins in first-seen order, each once. */
export const uniqueOrigins = (origins: Iterable<string | undefined>): string[] => [
  ...new Set([...origins].filter((origin): origin is string => origin !== undefined)),
]
