import { cognitoAdapter } from './cognito/cognito-adapter.js'
import type { IdentityAdapter, IdentityAdapterDeps, IdentityAdapterParts } from './identity-adapter.js'
import { localAdapter } from './local/local-adapter.js'

/**
 * AUTH_BACKEND's choices. A new provider is a folder under `identity/` (config, token rules,
 * adapter, identity provider, errors: see `test/guards/identity-adapters.test.ts`) and one entry
 * here; `config.ts` and `container.ts` read only this map.
 */
export const identityAdapters = { local: localAdapter, cognito: cognitoAdapter }

export type AuthBackend = keyof typeof identityAdapters

/** The settings `backend`'s folder parses. */
export type IdentitySettingsOf<Backend extends AuthBackend> = Parameters<
  (typeof identityAdapters)[Backend]['build']
>[0]

/** The chosen provider and its settings: `settings` is known once `backend` is. */
export type IdentityConfig = {
  [Backend in AuthBackend]: { backend: Backend; settings: IdentitySettingsOf<Backend> }
}[AuthBackend]

// The map seen per key, so a backend's settings reach its own builder without a cast.
const adapters: { [Backend in AuthBackend]: IdentityAdapter<IdentitySettingsOf<Backend>> } = identityAdapters

export const authBackends = Object.keys(identityAdapters) as AuthBackend[]

export const isAuthBackend = (name: string): name is AuthBackend => Object.hasOwn(identityAdapters, name)

/** `backend`'s settings, read by its own folder. Adds a line to `problems` per unusable variable. */
export const parseIdentityConfig = <Backend extends AuthBackend>(
  backend: Backend,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): IdentityConfig =>
  // TypeScript cannot correlate a generic key with the union it indexes; the pair is built from one key.
  ({ backend, settings: adapters[backend].parseConfig(env, problems) }) as IdentityConfig

const build = <Backend extends AuthBackend>(
  backend: Backend,
  settings: IdentitySettingsOf<Backend>,
  deps: IdentityAdapterDeps,
): Promise<IdentityAdapterParts> => adapters[backend].build(settings, deps)

/** Builds the configured provider and what the container needs from it. */
export const buildIdentity = (identity: IdentityConfig, deps: IdentityAdapterDeps) =>
  build(identity.backend, identity.settings, deps)
