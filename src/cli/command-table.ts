import { parseArgs } from 'node:util'

/** One option of a command: what the parser accepts and what its usage text says. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** The value's placeholder in the usage text (`--email EMAIL`). */
  value?: string
  default?: string
  required?: boolean
  description: string
}

type ValueOf<O extends OptionSpec> = O['type'] extends 'boolean'
  ? boolean
  : O['multiple'] extends true
    ? string[]
    : string

/** Parsed option values, typed from the command's own option table. */
export type OptionValues<Options extends Record<string, OptionSpec>> = {
  [Name in keyof Options]: Options[Name]['required'] extends true
    ? ValueOf<Options[Name]>
    : Options[Name]['default'] extends string
      ? ValueOf<Options[Name]>
      : ValueOf<Options[Name]> | undefined
}

/** A command's options, by long name. */
export type Options = Record<string, OptionSpec>

/** A command without options of its own. */
export type NoOptions = Record<string, never>

/** What runs a command, given its parsed options (typed from its table) and positionals. */
export type Run<O extends Options> = (values: OptionValues<O>, positionals: string[]) => Promise<number>

/**
 * A command the parser runs and the usage text describes, from one definition. The code that runs
 * it is loaded only when it runs, so `--help`, `--version` and usage errors answer at once, without
 * loading the database drivers and SDKs.
 */
export interface CommandSpec {
  /** The words after `flip-users`, e.g. `users import`. */
  name: string
  summary: string
  /** Positional arguments, in order, as named in the usage line (e.g. `FILE.csv`); each required. */
  args?: readonly string[]
  /** Lines after the options in the usage text. */
  details?: string
  options: Options
  load(): Promise<(values: Record<string, unknown>, positionals: string[]) => Promise<number>>
}

/** Defines a command; what `load` returns receives the options typed from `options`. */
export const defineCommand = <const O extends Options>(spec: {
  name: string
  summary: string
  args?: readonly string[]
  details?: string
  options: O
  load(): Promise<Run<O>>
}): CommandSpec => spec as unknown as CommandSpec

/** A word that groups commands: `registrations` groups `registrations list`, `… show`, … */
export interface CommandGroup {
  name: string
  summary: string
  commands: readonly CommandSpec[]
}

/**
 * A mistake in how a command was called: the command line names it, the process exits 64
 * (EX_USAGE) and points at `--help`.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` to point at (e.g. `users import`); main fills it in. */
    readonly command?: string,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'print this help and exit' }

const optionLabel = (name: string, option: OptionSpec): string => {
  const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}`
  return option.type === 'string' ? `${flag} ${option.value ?? 'VALUE'}` : flag
}

/** The first line of a command's usage: `flip-users token --email EMAIL [--ttl TTL]`. */
export const usageLine = (command: CommandSpec): string => {
  const parts = [`flip-users ${command.name}`]
  for (const [name, option] of Object.entries(command.options)) {
    const flag = option.type === 'string' ? `--${name} ${option.value ?? 'VALUE'}` : `--${name}`
    const shown = option.multiple ? `${flag} …` : flag
    parts.push(option.required ? shown : `[${shown}]`)
  }
  parts.push(...(command.args ?? []))
  return parts.join(' ')
}

/** A command's whole usage text, generated from the table the parser uses. */
export const commandHelp = (command: CommandSpec): string => {
  const options = { ...command.options, help: HELP }
  const labels = Object.entries(options).map(([name, option]) => optionLabel(name, option))
  const width = Math.max(...labels.map((label) => label.length)) + 2
  const lines = [
    `usage: ${usageLine(command)}`,
    '',
    `${command.summary}`,
    '',
    'options:',
    ...Object.values(options).map((option, index) => {
      const extra = [
        option.required ? 'required' : undefined,
        option.multiple ? 'may be repeated' : undefined,
        option.default !== undefined ? `default ${option.default}` : undefined,
      ].filter(Boolean)
      const suffix = extra.length > 0 ? ` (${extra.join('; ')})` : ''
      return `  ${labels[index]!.padEnd(width)}${option.description}${suffix}`
    }),
  ]
  if (command.details) lines.push('', command.details.trimEnd())
  return `${lines.join('\n')}\n`
}

/** A group's usage text: its commands with their usage lines and summaries. */
export const groupHelp = (group: CommandGroup): string =>
  [
    `usage: flip-users ${group.name} <command>`,
    '',
    group.summary,
    '',
    ...group.commands.flatMap((command) => [`  ${usageLine(command)}`, `      ${command.summary}`]),
    '',
    `Run "flip-users ${group.name} <command> --help" for a command's options.`,
    '',
  ].join('\n')

/** True when `-h`/`--help` appears before a `--` (as a flag, not as an option's value). */
export const asksForHelp = (args: readonly string[]): boolean => {
  for (const arg of args) {
    if (arg === '--') return false
    if (arg === '--help' || arg === '-h') return true
  }
  return false
}

/**
 * Parses a command's arguments with its own option table (strict: an unknown option or a missing
 * value is a UsageError naming it), then checks required options and positionals.
 */
export const parseCommandArgs = (
  command: CommandSpec,
  args: string[],
): { values: Record<string, unknown>; positionals: string[] } => {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(
        Object.entries(command.options).map(([name, option]) => [
          name,
          {
            type: option.type,
            ...(option.short ? { short: option.short } : {}),
            ...(option.multiple ? { multiple: true } : {}),
            ...(option.default !== undefined ? { default: option.default } : {}),
          },
        ]),
      ),
    })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error
    // parseArgs names the option; keep its first sentence, without Node's advice on `--`.
    throw new UsageError(
      (error as Error).message
        .split(/\. (?=To specify)/)[0]!
        .replace(/\.$/, '')
        .replace(/^Unknown option/, 'unknown option')
        .replace(/^Option/, 'option')
        .replace(/'([^']*)'/g, '"$1"'),
    )
  }
  for (const [name, option] of Object.entries(command.options)) {
    const value = parsed.values[name]
    if (option.required && (value === undefined || (Array.isArray(value) && value.length === 0)))
      throw new UsageError(`--${name} is required`)
  }
  const expected = command.args ?? []
  const positionals = parsed.positionals
  if (positionals.length > expected.length)
    throw new UsageError(`unexpected argument "${positionals[expected.length]}"`)
  if (positionals.length < expected.length) throw new UsageError(`${expected[positionals.length]} is missing`)
  return { values: parsed.values, positionals }
}
