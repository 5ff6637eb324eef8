import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { Deps } from '../../container.js'
import { appError } from '../../errors/error-catalogue.js'
import { problemResponses } from '../../http/problem.js'
import {
  ConsoleAssetParams,
  ConsoleConfigResponse,
  ConsoleSessionBody,
  ConsoleSessionResponse,
} from './console.schemas.js'
import { consoleContentSecurityPolicy, loadConsoleAssets } from './console-assets.js'
import { type ConsoleSignIn, createConsoleSignIn } from './console-sign-in.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** One-time console links (`serve` prints one with the `local` backend). */
    consoleSignIn: ConsoleSignIn
  }
}

const Page = Type.String({ description: 'the console page or one of its files' })

/**
 * `/console`, the operator's web page, served by the service itself (no CDN: it works air-gapped),
 * and `POST /api/console/sessions`, which trades a one-time link's code for a session token. The
 * page is public; every call it makes for data carries the bearer token like any client's.
 * Registered on the root instance (skip-override) so `serve` can mint links via `app.consoleSignIn`.
 */
export const consoleRoutes = (
  deps: Pick<Deps, 'config' | 'clock' | 'localTokens'>,
): FastifyPluginAsyncTypebox => {
  const plugin: FastifyPluginAsyncTypebox = async (app) => {
    const assets = loadConsoleAssets()
    const { identity } = deps.config
    const hostedUi =
      identity.backend === 'cognito' && identity.settings.hostedUiDomain
        ? { domain: identity.settings.hostedUiDomain, clientId: identity.settings.appClientId }
        : null
    const policy = consoleContentSecurityPolicy(hostedUi?.domain)
    app.decorate(
      'consoleSignIn',
      createConsoleSignIn({ clock: deps.clock, issuer: deps.localTokens?.issuer }),
    )

    const sendAsset = (reply: FastifyReply, name: string) => {
      const asset = assets.get(name)
      if (!asset)
        throw appError(
          'route.not_found',
          name === 'index.html'
            ? 'The console is not built into this copy: run npm run build'
            : `The console has no file ${name}`,
        )
      return reply.header('content-security-policy', policy).type(asset.contentType).send(asset.body)
    }
    const page = { hide: true, response: { 200: Page, ...problemResponses(404, 500) } }

    app.get('/console', { config: { public: true }, schema: page }, async (_request, reply) =>
      sendAsset(reply, 'index.html'),
    )
    app.get(
      '/console/config.json',
      {
        config: { public: true },
        schema: { hide: true, response: { 200: ConsoleConfigResponse, ...problemResponses(500) } },
      },
      async () => ({
        backend: identity.backend,
        hostedUi,
      }),
    )
    app.get(
      '/console/:asset',
      {
        config: { public: true },
        schema: {
          ...page,
          params: ConsoleAssetParams,
          response: { ...page.response, ...problemResponses(400, 422) },
        },
      },
      async (request, reply) => sendAsset(reply, request.params.asset),
    )
    app.post(
      '/api/console/sessions',
      {
        config: { public: true },
        schema: {
          summary: "Exchange a one-time console link's code for a session token (local backend)",
          tags: ['console'],
          body: ConsoleSessionBody,
          response: { 200: ConsoleSessionResponse, ...problemResponses(400, 401, 413, 415, 422, 500) },
        },
      },
      async (request) => {
        const session = await app.consoleSignIn.redeem(request.body.code)
        return {
          access_token: session.accessToken,
          token_type: 'Bearer' as const,
          expires_in: session.expiresInSeconds,
          email: session.email,
        }
      },
    )
  }
  // Not encapsulated, like fastify-plugin does it: the decorator belongs to the whole app.
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true })
}
