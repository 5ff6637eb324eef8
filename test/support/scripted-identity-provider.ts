import type { IdentityProvider } from '../../src/identity/identity-provider.js'

type Operation = Exclude<keyof IdentityProvider, 'backend'>

interface Fault {
  /** Make the error to throw. */
  error: () => unknown
  /** Let the call reach the real provider first, then throw (the call took effect). */
  afterForwarding: boolean
  remaining: number
}

/**
 * A real identity provider behind a script of faults: the boundary we do not own, made to fail
 * the way providers do. Everything not scripted is forwarded unchanged; every call is counted.
 */
export interface ScriptedIdentityProvider extends IdentityProvider {
  /** The next `times` calls of `operation` throw `error()` (Infinity: until `heal`). */
  fail(
    operation: Operation,
    error: () => unknown,
    options?: { times?: number; afterForwarding?: boolean },
  ): void
  heal(operation?: Operation): void
  resetCalls(): void
  calls: Record<Operation, number>
}

export const scriptIdentityProvider = (inner: IdentityProvider): ScriptedIdentityProvider => {
  const faults = new Map<Operation, Fault>()
  const calls = {
    createUser: 0,
    getUserById: 0,
    getUserByEmail: 0,
    deleteUser: 0,
    setEnabled: 0,
    listUsers: 0,
    isMfaEnabled: 0,
    resetMfa: 0,
    isEnabled: 0,
    signOut: 0,
  }

  const run = async <T>(operation: Operation, forward: () => Promise<T>): Promise<T> => {
    calls[operation]++
    const fault = faults.get(operation)
    if (!fault || fault.remaining <= 0) return forward()
    fault.remaining--
    if (fault.afterForwarding) await forward()
    throw fault.error()
  }

  return {
    backend: inner.backend,
    calls,
    fail(operation, error, options = {}) {
      faults.set(operation, {
        error,
        afterForwarding: options.afterForwarding ?? false,
        remaining: options.times ?? Number.POSITIVE_INFINITY,
      })
    },
    heal(operation) {
      if (operation) faults.delete(operation)
      else faults.clear()
    },
    resetCalls() {
      for (const operation of Object.keys(calls) as Operation[]) calls[operation] = 0
    },
    createUser: (email, options) => run('createUser', () => inner.createUser(email, options)),
    getUserById: (id) => run('getUserById', () => inner.getUserById(id)),
    getUserByEmail: (email) => run('getUserByEmail', () => inner.getUserByEmail(email)),
    deleteUser: (username) => run('deleteUser', () => inner.deleteUser(username)),
    setEnabled: (username, enabled) => run('setEnabled', () => inner.setEnabled(username, enabled)),
    listUsers: (options) => run('listUsers', () => inner.listUsers(options)),
    isMfaEnabled: (username) => run('isMfaEnabled', () => inner.isMfaEnabled(username)),
    resetMfa: (username) => run('resetMfa', () => inner.resetMfa(username)),
    isEnabled: (username) => run('isEnabled', () => inner.isEnabled(username)),
    signOut: (username) => run('signOut', () => inner.signOut(username)),
  }
}
