// @ts-check
/** Numbers, sizes, ratios and times as the console shows them. */

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export const count = (/** @type {number} */ n) => integer.format(n);

/** @param {number} bytes */
export function bytes(bytes) {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** @param {number | null} ratio */
export const percent = (ratio) => (ratio === null ? '–' : `${(ratio * 100).toFixed(1)} %`);

/** Time since an ISO time, short: `4 s`, `3 min`, `2 h`, `5 d`. */
export function age(/** @type {string} */ iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** An ISO time as local date and time, to the second. */
export const time = (/** @type {string} */ iso) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
