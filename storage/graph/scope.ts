import { SYSTEM_ID_PATTERN } from '../../schemas';
import { sqlString } from '../tiers/sql';
import type { SystemScope } from './types';

/**
 * SQL condition: the statement's system is in scope. Ids that are not system ids can name no
 * stored statement and are left out; an empty scope sees nothing.
 */
export function inScopeSql(scope: SystemScope, column = 'system_id'): string {
  if (scope === '*') return 'TRUE';
  const ids = [...new Set(scope)].filter((id) => SYSTEM_ID_PATTERN.test(id));
  return ids.length === 0 ? 'FALSE' : `${column} IN (${ids.map(sqlString).join(', ')})`;
}
