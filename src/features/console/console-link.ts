import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../container.js'
import { CONSOLE_CODE_TTL_SECONDS } from './console-sign-in.js'

/**
 * The banner lines `serve` prints for the console. With the `local` backend, a one-time link
 * that signs the bootstrap admin in; its code is in the fragment (`#code=`), which browsers never
 * send to a server, so it ends up in no access log. With Cognito, just the address.
 */
export const consoleBannerLines = async (
  server: { url: string; app: FastifyInstance },
  deps: Pick<Deps, 'config' | 'idp' | 'localTokens'>,
): Promise<string[]> => {
  const address = `${server.url}/console`
  if (!deps.localTokens || !deps.config.adminEmail) return [`Console: ${address}`]
  const admin = await deps.idp.getUserByEmail(deps.config.adminEmail).catch(() => undefined)
  if (!admin) return [`Console: ${address}`]
  const code = server.app.consoleSignIn.issueCode(admin)
  return [
    `Console for ${admin.email} (one-time sign-in link, valid ${CONSOLE_CODE_TTL_SECONDS / 60} min):`,
    `  ${address}#code=${code}`,
  ]
}
