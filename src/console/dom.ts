/** A few DOM helpers: elements are built, never parsed from strings, so no data becomes markup. */

type Child = Node | string | number | null | undefined | false
type Attribute = string | number | boolean | undefined | null | ((event: Event) => void)

/** `h('button', { type: 'button', onclick: … }, 'Retry')`: an element with attributes and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, Attribute> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) element.setAttribute(name, '')
    else if (value !== false && value !== undefined && value !== null)
      element.setAttribute(name, String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(typeof child === 'number' ? String(child) : child)
  }
  return element
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id)
  if (!element) throw new Error(`the console page has no #${id}`)
  return element as T
}

export const replaceChildren = (parent: Element, ...children: Child[]): void => {
  parent.replaceChildren(
    ...children
      .filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
      .map((c) => (typeof c === 'number' ? String(c) : c)),
  )
}

/** A time as the operator reads it: local date and time to the second. */
export const formatTime = (iso: string | null | undefined): string => {
  if (!iso) return '—'
  const date = new Date(iso)
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

/** A `<time>` element: machine-readable datetime, human-readable text. */
export const timeElement = (iso: string | null | undefined): HTMLElement =>
  iso ? h('time', { datetime: iso }, formatTime(iso)) : h('span', {}, '—')

/** The page's one status line (polite) and one alert line (assertive), both live regions. */
export const say = (message: string): void => {
  byId('error').textContent = ''
  byId('status').textContent = message
}
export const warn = (message: string): void => {
  byId('status').textContent = ''
  byId('error').textContent = message
}

/**
 * Asks the operator to confirm in the page's modal dialog (focus moves into it, Escape cancels).
 * @returns true when they chose the confirming button
 */
export const confirmAction = (title: string, text: string, confirmLabel: string): Promise<boolean> => {
  const dialog = byId<HTMLDialogElement>('confirm-dialog')
  byId('confirm-title').textContent = title
  byId('confirm-text').textContent = text
  byId('confirm-ok').textContent = confirmLabel
  dialog.returnValue = ''
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true })
    dialog.showModal()
    byId('confirm-cancel').focus()
  })
}
