import type { Logger } from 'pino'

export interface AccessRequestNotice {
  id: string
  email: string
  name: string
  purpose: string
}

/**
 * Tells the administrators that someone asked for access (FLIP: SES template
 * `flip-access-request`). Best effort: a failure is logged and never reaches the requester.
 */
export interface AccessRequestNotifier {
  notify(notice: AccessRequestNotice): Promise<void>
}

/** The default: a log line for whoever watches the logs. The address is not logged (PII). */
export const createLogNotifier = (log: Logger): AccessRequestNotifier => ({
  async notify(notice) {
    log.info({ accessRequestId: notice.id }, 'access requested; an administrator should triage it')
  },
})
