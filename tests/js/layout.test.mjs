// Days and runs on the reader's clock (static/js/layout.js). Dates are made on the
// local clock, so the tests hold in any time zone.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { dayLabel, placement, RUN_GAP_MS } from '../../static/js/layout.js';

const at = (y, mo, d, h, mi, s = 0) => new Date(y, mo - 1, d, h, mi, s).toISOString();
const msg = (username, created_at) => ({ username, created_at });

test('the first message shown begins its day', () => {
  const { day, continued } = placement(null, msg('ada', at(2026, 11, 22, 9, 0)));
  assert.equal(day.getDate(), 22);
  assert.equal(continued, false);
});

test('one author within five minutes on one day continues the run', () => {
  const first = msg('ada', at(2026, 11, 22, 9, 0));
  assert.deepEqual(placement(first, msg('ada', at(2026, 11, 22, 9, 5))), { day: null, continued: true });
  assert.equal(placement(first, msg('ada', at(2026, 11, 22, 9, 5, 1))).continued, false, 'five minutes at most');
  assert.equal(placement(first, msg('bob', at(2026, 11, 22, 9, 1))).continued, false, 'another author');
  assert.equal(RUN_GAP_MS, 300000);
});

test('a new local day has its divider and starts a new run', () => {
  const late = msg('ada', at(2026, 11, 22, 23, 58));
  const { day, continued } = placement(late, msg('ada', at(2026, 11, 23, 0, 1)));
  assert.equal(day.getDate(), 23);
  assert.equal(continued, false);
});

test('the "new messages" divider breaks a run', () => {
  const first = msg('bob', at(2026, 11, 22, 9, 0));
  assert.equal(placement(first, msg('bob', at(2026, 11, 22, 9, 1)), { dividedByUnread: true }).continued, false);
});

test('days are Today, Yesterday, or the date', () => {
  const now = new Date(2026, 10, 22, 15, 0);
  assert.equal(dayLabel(new Date(2026, 10, 22, 0, 5), now), 'Today');
  assert.equal(dayLabel(new Date(2026, 10, 21, 23, 59), now), 'Yesterday');
  const older = dayLabel(new Date(2026, 10, 20, 12, 0), now);
  assert.ok(older.includes('2026') && older.includes('20'), older);
});
