// @ts-check
/**
 * Calls to the Akosha API with the bearer token of this tab (sessionStorage), if any. The page
 * holds no data of its own: every figure comes from here, under the caller's role.
 */

/** @typedef {'reader' | 'writer' | 'operator' | 'admin'} Role */
/** @typedef {{ name: string, role: Role, systems: '*' | string[], via: string }} WhoAmI */

const TOKEN_KEY = 'akosha.console.token';
/** @type {readonly Role[]} */
const ROLES = ['reader', 'writer', 'operator', 'admin'];

/** A reply other than 2xx: its status and JSON body (null when it had none). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {unknown} body
   */
  constructor(status, body) {
    const code = errorCode(body);
    super(code ? `${status} ${code}` : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** @param {unknown} body */
function errorCode(body) {
  if (typeof body !== 'object' || body === null || !('error' in body)) return '';
  return String(body.error);
}

/** @type {() => void} */
let unauthorized = () => {};

/** Called whenever the API answers 401: the token is missing, wrong or expired. */
export function onUnauthorized(/** @type {() => void} */ handler) {
  unauthorized = handler;
}

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (/** @type {string} */ value) => sessionStorage.setItem(TOKEN_KEY, value);
export const clearToken = () => sessionStorage.removeItem(TOKEN_KEY);

/**
 * @param {WhoAmI | null} who
 * @param {Role} need
 */
export function hasRole(who, need) {
  return who !== null && ROLES.indexOf(who.role) >= ROLES.indexOf(need);
}

/**
 * A JSON call: GET, or POST with `json` as its body.
 * @param {string} path
 * @param {{ json?: unknown }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const headers = new Headers({ accept: 'application/json' });
  const bearer = token();
  if (bearer) headers.set('authorization', `Bearer ${bearer}`);
  /** @type {RequestInit} */
  const init = { headers, cache: 'no-store', credentials: 'omit' };
  if (options.json !== undefined) {
    headers.set('content-type', 'application/json');
    init.method = 'POST';
    init.body = JSON.stringify(options.json);
  }
  const res = await fetch(path, init);
  const body = await res.json().catch(() => null);
  if (res.status === 401) unauthorized();
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}
