// @ts-check
/**
 * Elements built from parts, text always as text: the page never parses markup (its
 * Content-Security-Policy requires Trusted Types, so it could not).
 */

/** @typedef {Node | string | number | null | undefined | false} Child */
/** @typedef {Record<string, string | number | boolean | undefined | ((e: Event) => void)>} Attrs */

/**
 * @param {Element} el
 * @param {Attrs} attrs
 */
function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** @param {Child[]} children */
const nodes = (children) =>
  children
    .filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (typeof c === 'object' ? c : document.createTextNode(String(c))));

/**
 * An HTML element: `h('td', { class: 'num' }, 12)`. Attributes named `on<event>` listen.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  el.append(...nodes(children));
  return el;
}

/**
 * An SVG element.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = /** @type {SVGElement} */ (
    document.createElementNS('http://www.w3.org/2000/svg', tag)
  );
  setAttributes(el, attrs);
  el.append(...nodes(children));
  return el;
}

/**
 * The element with this id; the page's markup has it.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} [type]
 * @returns {T}
 */
export function byId(id, type) {
  const el = document.getElementById(id);
  if (!el || (type && !(el instanceof type))) throw new Error(`#${id} missing`);
  return /** @type {T} */ (el);
}

/**
 * Replaces what a container shows.
 * @param {Element} el
 * @param {...Child} children
 */
export function show(el, ...children) {
  el.replaceChildren(...nodes(children));
}

/** A muted line: nothing to show, a missing role, an error. */
export const note = (/** @type {string} */ text, kind = 'muted') =>
  h('p', { class: `note ${kind}` }, text);

/** Why a panel is empty after a failed call. */
export function failure(/** @type {unknown} */ err) {
  const status = /** @type {{ status?: number }} */ (err).status;
  if (status === 403) return note('Your role may not read this.', 'warn');
  if (status === 401) return note('Sign in to see this.', 'warn');
  return note(`Could not load: ${err instanceof Error ? err.message : String(err)}`, 'error');
}

/**
 * A table with a header row and body rows.
 * @param {string[]} heads
 * @param {HTMLTableRowElement[]} rows
 * @param {string} [cls]
 */
export function table(heads, rows, cls = '') {
  const head = h('tr', {}, ...heads.map((text) => h('th', { scope: 'col' }, text)));
  return h('table', { class: `data ${cls}` }, h('thead', {}, head), h('tbody', {}, ...rows));
}
