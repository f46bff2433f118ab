// The page's exports module: the operations view's rows from a GET /exports answer, and the sentence a
// deposit's page shows about the cash letter it left in.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { exportRows, exportText } from '../../ui/views/exports.js';

test('export rows from the API answer: sent files link, failed ones explain, junk is dropped', () => {
  const listing = {
    exports: [
      {
        id: 'exp-1',
        state: 'done',
        created: '2026-12-01T22:00:00.000Z',
        business_date: '2026-12-02',
        item_count: 3,
        total: '30.06',
        key: 'exp-1.x9',
        download_url: 'http://s3.local/openchecks-exports/exp-1.x9?X-Amz-Signature=1',
        warnings: ['deposit dep-1 has no back image'],
      },
      { id: 'exp-2', state: 'failed', error: 'Set export.origin_routing', download_url: 'javascript:x' },
      'junk',
    ],
  };
  const rows = exportRows(listing);
  assert.deepEqual(rows[0], {
    id: 'exp-1',
    created: '2026-12-01T22:00:00.000Z',
    businessDate: '2026-12-02',
    items: 3,
    total: '30.06',
    state: 'sent',
    url: 'http://s3.local/openchecks-exports/exp-1.x9?X-Amz-Signature=1',
    file: 'exp-1.x9',
    note: '1 warnings',
  });
  assert.equal(rows[1].state, 'failed');
  assert.equal(rows[1].url, null);
  assert.ok(rows[1].note.startsWith('Set export'));
  assert.equal(rows.length, 2);
  assert.deepEqual(exportRows(null), []);
});

test("the deposit page names the file it left in", () => {
  const doc = { export: { key: 'exp-1.x9', business_date: '2026-12-02' } };
  assert.equal(exportText(doc), 'Sent for clearing in the cash letter exp-1.x9 for the business day 2026-12-02.');
  assert.equal(exportText({ status: 'accepted' }), null);
});
