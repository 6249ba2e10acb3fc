// @ts-check
import { byId, h, show } from './dom.js';

/** The page's confirmation dialog and its status line. */

/**
 * Asks before an action that cannot be undone; resolves true on confirm.
 * @param {string} title
 * @param {(Node | string)[]} body
 * @param {string} action  the confirm button's text
 * @returns {Promise<boolean>}
 */
export function confirmAction(title, body, action) {
  const dialog = byId('confirm-dialog', HTMLDialogElement);
  show(byId('confirm-title'), title);
  show(byId('confirm-body'), ...body);
  const ok = byId('confirm-ok', HTMLButtonElement);
  const cancel = byId('confirm-cancel', HTMLButtonElement);
  show(ok, action);
  return new Promise((resolve) => {
    const done = (/** @type {boolean} */ answer) => {
      ok.onclick = null;
      cancel.onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    ok.onclick = () => done(true);
    cancel.onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
  });
}

/** @type {number | undefined} */
let toastTimer;

/**
 * Says what an action did, for a few seconds.
 * @param {string} text
 * @param {'ok' | 'warn' | 'error'} [kind]
 */
export function toast(text, kind = 'ok') {
  const el = byId('toast');
  show(el, h('span', { class: `pill ${kind}` }, kind === 'ok' ? 'done' : kind), ` ${text}`);
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (el.hidden = true), 8000);
}
