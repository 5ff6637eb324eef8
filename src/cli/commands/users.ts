import { readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { stringify } from 'csv-stringify/sync'
import type { Caller } from '../../auth/token-verifier.js'
import type { Deps } from '../../container.js'
import { isAppError } from '../../errors/app-error.js'
import { bootstrapAdmin } from '../../features/bootstrap-admin/bootstrap-admin.js'
import { createRowChecker } from '../../features/bulk-import/check-import-row.js'
import { type FinalRow, importFile } from '../../features/bulk-import/import-file.js'
import { parseImportFile } from '../../features/bulk-import/parse-import-file.js'
import { startRegistrationWorkers } from '../../features/register-user/register-user.job.js'
import { registerUser } from '../../features/register-user/register-user.js'
import { createRolesRepository } from '../../repositories/roles-repository.js'
import { withCliJobsContainer } from '../cli-container.js'
import type { usersImportOptions, usersRegisterOptions } from '../command-options.js'
import { type Run, UsageError } from '../command-table.js'
import { exitCodeOf, exitCodes, signalExitCode } from '../exit-codes.js'
import { CliFailure } from '../failures.js'
import { createImportProgress } from '../import-progress.js'

const whileServing =
  'while the server runs, use POST /api/step/users or /api/step/users/batch, or stop it and run this again'

/** Commands act as the bootstrap admin, created first if this database has none yet. */
const bootstrapCaller = async (deps: Deps): Promise<Caller> => {
  const email = deps.config.adminEmail
  if (email === undefined)
    throw new CliFailure(
      'config',
      'user commands act as the bootstrap admin, and none is named',
      'set FLIP_ADMIN_EMAIL',
    )
  await bootstrapAdmin(deps)
  const admin = await deps.idp.getUserByEmail(email)
  return { id: admin.id, username: admin.username }
}

const writeResults = async (path: string, rows: readonly FinalRow[]) => {
  const records = rows.map((row) => [
    row.line,
    row.email,
    row.registrationId,
    row.state,
    row.userId,
    row.detail,
  ])
  await writeFile(
    path,
    stringify(records, {
      header: true,
      columns: ['line', 'email', 'registration_id', 'state', 'user_id', 'error_detail'],
    }),
  )
}

/** The import file's text; a file that cannot be read is EX_NOINPUT (66), in one line. */
const readImportFile = async (file: string): Promise<string> => {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (code ?? 'unreadable')
    throw new CliFailure('NotFound', `cannot read ${file}: ${why}`, 'check the path and run again', {
      cause: error,
    })
  }
}

/** `flip-users users import FILE.csv`: see the command table for what it promises. */
export const runImport: Run<typeof usersImportOptions> = async (values, [file]) => {
  const concurrency = Number(values.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`--concurrency must be a whole number above 0, not "${values.concurrency}"`)
  const text = await readImportFile(file!)
  const out = values.out ?? file!.replace(/(\.csv)?$/i, '.results.csv')
  return withCliJobsContainer(whileServing, async (deps) => {
    // Check the whole file before touching anything, so a bad file creates nothing.
    const parsed = parseImportFile(text, await createRolesRepository(deps.db).list())
    if (!parsed.ok) {
      for (const problem of parsed.problems)
        process.stderr.write(`${file}: line ${problem.line}: ${problem.message}\n`)
      process.stderr.write(`${file}: nothing was imported.\n`)
      return exitCodes.dataError
    }
    const caller = await bootstrapCaller(deps)
    // This process finishes in-flight rows itself, whether or not a server is running.
    await startRegistrationWorkers(deps, deps.saga, deps.jobs)
    const progress = createImportProgress(process.stderr, parsed.rows.length)
    // Ctrl-C (or SIGTERM) stops at the next row boundary, so the container closes cleanly: an
    // embedded data directory's lock is released, not left to go stale. A second signal stops
    // at once, as a crash would; the same command again finishes either way.
    const interruption = new AbortController()
    let stoppedBy: NodeJS.Signals | undefined
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy) process.exit(signalExitCode(os.constants.signals[signal]))
      stoppedBy = signal
      process.stderr.write('\nStopping after the rows in progress (Ctrl-C again to stop at once)…\n')
      interruption.abort()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      const outcome = await importFile(deps, text, caller, {
        concurrency,
        onProgress: (counts) => progress.update(counts),
        signal: interruption.signal,
      })
      progress.stop()
      if (!outcome.ok) return exitCodes.dataError
      // A signal from here on lets the result file be written whole.
      await writeResults(out, outcome.rows)
      if (outcome.interrupted) {
        const { done, failed, total } = outcome.counts
        process.stderr.write(
          `Interrupted: ${done + failed} of ${total} rows final (${done} registered, ${failed} not), listed in ${out}. ` +
            'Run the same command again to finish the rest; nothing will be created twice.\n',
        )
        return signalExitCode(os.constants.signals[stoppedBy ?? 'SIGINT'])
      }
      const failed = outcome.rows.filter((row) => row.state !== 'completed').length
      process.stdout.write(
        `${outcome.rows.length - failed} of ${outcome.rows.length} rows registered; ${failed} did not. Results: ${out}\n`,
      )
      return failed === 0 ? exitCodes.ok : exitCodes.failure
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  })
}

/**
 * `flip-users users register`: one registration, as POST /api/step/users. The row is checked
 * as an import row is (roles by name or id), then registered by the same use case.
 */
export const runRegister: Run<typeof usersRegisterOptions> = async (values) =>
  withCliJobsContainer(whileServing, async (deps) => {
    const checkRow = createRowChecker(await createRolesRepository(deps.db).list())
    const checked = checkRow({
      email: values.email,
      name: values.name,
      organisation: values.organisation,
      // Each --role may also list several, as an import row does ("Viewer;Researcher").
      roles: values.role.flatMap((role) => role.split(';').map((part) => part.trim())).filter(Boolean),
      trustId: values['trust-id'] ?? '',
    })
    if (!checked.ok) {
      for (const problem of checked.problems) process.stderr.write(`flip-users users register: ${problem}\n`)
      return exitCodes.dataError
    }
    try {
      const outcome = await registerUser(deps, checked.input, await bootstrapCaller(deps), undefined)
      process.stdout.write(`${JSON.stringify(outcome.body)}\n`)
      if (outcome.outcome === 'accepted') {
        process.stderr.write(
          `Registration ${outcome.body.registration_id} is being finished in the background.\n`,
        )
      }
      return exitCodes.ok
    } catch (error) {
      if (!isAppError(error)) throw error
      process.stderr.write(`flip-users users register: ${error.detail}\n`)
      return exitCodeOf[error.kind]
    }
  })
