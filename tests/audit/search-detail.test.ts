import { searchAuditDetail } from '../../audit/search-detail';

describe('searchAuditDetail', () => {
  const search = {
    query: 'what we said',
    limit: 10,
    system_id: 'a',
    filters: { project: 'p', kind: undefined },
  };

  it('gives scope, filters and hits, without the query text by default', () => {
    expect(searchAuditDetail(search, 3, ['a', 'b'], false)).toEqual({
      scope: ['a', 'b'],
      filters: { project: 'p', system_id: 'a' },
      limit: 10,
      hits: 3,
    });
  });

  it('adds the query text with AKOSHA_AUDIT_QUERIES=true', () => {
    expect(searchAuditDetail(search, 0, '*', true)).toMatchObject({
      scope: '*',
      query: 'what we said',
    });
  });
});
