import { parseTtl } from '../../auth/local-token-issuer.js'
import { loadConfig } from '../../config.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import { withCliContainer } from '../cli-container.js'
import type { tokenOptions } from '../command-options.js'
import { type Run, UsageError } from '../command-table.js'
import { exitCodes } from '../exit-codes.js'
import { CliFailure } from '../failures.js'

/** `flip-users token --email E [--ttl 1h]`: print an access token for an existing local identity. */
export const runToken: Run<typeof tokenOptions> = async (values) => {
  const ttlSeconds = parseTtl(values.ttl)
  if (ttlSeconds === undefined)
    throw new UsageError(`--ttl must look like 30m, 1h, 2d or a number of seconds, not "${values.ttl}"`)
  const config = loadConfig()
  if (config.identity.backend !== 'local')
    throw new UsageError(
      `works with AUTH_BACKEND=local only; ${config.identity.backend} issues its own tokens`,
    )
  const email = values.email
  return withCliContainer(
    {
      // Minting a token needs no background work: the job engine stays off.
      jobs: false,
      whileServing:
        'while the server runs, use the admin token it printed at start, or stop it and run this again',
    },
    async (deps) => {
      let user: Awaited<ReturnType<typeof deps.idp.getUserByEmail>>
      try {
        user = await deps.idp.getUserByEmail(email)
      } catch (error) {
        if (!isIdentityError(error, 'NotFound') && !isIdentityError(error, 'InvalidInput')) throw error
        throw new CliFailure('NotFound', `no user with email ${email}`, 'check the address', {
          cause: error,
        })
      }
      // A disabled account has no authority (SPEC §3): a token for it would be refused anyway.
      if (!user.enabled) {
        throw new CliFailure(
          'Forbidden',
          `the account ${user.email} is disabled`,
          'an administrator can enable it again (PUT /api/users/{id} with {"disabled": false})',
        )
      }
      process.stdout.write(`${await deps.localTokens!.issuer.issue(user, ttlSeconds)}\n`)
      return exitCodes.ok
    },
  )
}
