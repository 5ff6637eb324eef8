/** Small readers shared by `config.ts` and each identity adapter's `<vendor>-config.ts`. */

/** Whether `value` parses as a URL with one of `protocols` (e.g. `['https:']`). */
export const isUrl = (value: string, protocols: readonly string[]): boolean => {
  try {
    return protocols.includes(new URL(value).protocol)
  } catch {
    return false
  }
}

/** A variable that passed its schema's number pattern, or undefined when unset. */
export const optionalNumber = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : Number(value)
