import { parseArgs } from 'node:util'
import { parseTtl } from '../../auth/local-token-issuer.js'
import { loadConfig } from '../../config.js'
import { isIdentityError } from '../../identity/identity-errors.js'
import { withCliContainer } from '../cli-container.js'
import { exitCodes } from '../exit-codes.js'

/** `flip-users token --email E [--ttl 1h]`: print an access token for an existing local identity. */
export const tokenCommand = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: { email: { type: 'string' }, ttl: { type: 'string', default: '1h' } },
  })
  const ttlSeconds = parseTtl(values.ttl)
  if (!values.email || ttlSeconds === undefined) {
    process.stderr.write('usage: flip-users token --email EMAIL [--ttl 30m|1h|2d|SECONDS]\n')
    return exitCodes.usage
  }
  const config = loadConfig()
  if (config.authBackend !== 'local') {
    process.stderr.write(
      `flip-users token works with AUTH_BACKEND=local only; ${config.authBackend} issues its own tokens.\n`,
    )
    return exitCodes.usage
  }
  const email = values.email
  return withCliContainer(
    {
      // Minting a token needs no background work: the job engine stays off.
      jobs: false,
      whileServing:
        'While the server runs, use the admin token it printed at start, or stop it and run this again.',
    },
    async (deps) => {
      try {
        const user = await deps.idp.getUserByEmail(email)
        process.stdout.write(`${await deps.localTokens!.issuer.issue(user, ttlSeconds)}\n`)
        return exitCodes.ok
      } catch (error) {
        if (!isIdentityError(error, 'NotFound') && !isIdentityError(error, 'InvalidInput')) throw error
        process.stderr.write(`No user with email ${email}.\n`)
        return exitCodes.notFound
      }
    },
  )
}
