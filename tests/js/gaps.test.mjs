// Gap repair (static/js/gaps.js): a grace period first, pages until the gap is
// closed, one repair at a time with one more round for a gap seen meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { GapRepair, GAP_GRACE_MS, PAGE_LIMIT } from '../../static/js/gaps.js';
import { Timeline } from '../../static/js/timeline.js';

const msg = (seq) => ({ room: 'general', seq, username: 'bob', text: 'm' + seq });
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));

// A repair over a room whose server holds seqs 1..last, in pages of `page`.
function repairing({ last, page = PAGE_LIMIT, joined = true }) {
  const timeline = new Timeline('general');
  const asked = [];
  const repair = new GapRepair({
    timeline,
    fetchAfter: async (after, limit) => {
      asked.push([after, limit]);
      const to = Math.min(last, after + page);
      return { ok: true, messages: range(after + 1, to), has_more: to < last };
    },
    absorb: (list) => list.forEach((m) => timeline.upsert(m)),
    isJoined: () => joined,
  });
  return { timeline, asked, repair };
}

test('a gap is repaired after the grace period, page by page', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { timeline, asked, repair } = repairing({ last: 450 });
  timeline.upsert(msg(450));   // a live event far ahead
  repair.note();
  t.mock.timers.tick(GAP_GRACE_MS - 1);
  assert.deepEqual(asked, []);
  t.mock.timers.tick(1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(asked, [[0, 200], [200, 200], [400, 200]]);
  assert.equal(timeline.contiguous, 450);
});

test('no gap, or not joined: nothing is asked', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const joinedNoGap = repairing({ last: 3 });
  joinedNoGap.repair.note();
  const gapNotJoined = repairing({ last: 3, joined: false });
  gapNotJoined.timeline.upsert(msg(3));
  gapNotJoined.repair.note();
  t.mock.timers.tick(GAP_GRACE_MS);
  assert.deepEqual([...joinedNoGap.asked, ...gapNotJoined.asked], []);
});

test('a gap seen during a repair gets one more round after it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { timeline, asked, repair } = repairing({ last: 5 });
  timeline.upsert(msg(2));
  const first = repair.fill();
  timeline.upsert(msg(9));   // arrives while the first repair is under way
  repair.afterJoin(true);
  await first;
  assert.deepEqual(asked, [[0, 200]], 'one repair at a time');
  assert.equal(timeline.contiguous, 5);
  t.mock.timers.tick(GAP_GRACE_MS);
  assert.deepEqual(asked, [[0, 200], [5, 200]], 'then one more round for seq 9');
});

test('a page that moves nothing ends the repair', async () => {
  const { timeline, asked, repair } = repairing({ last: 4, page: 0 });
  timeline.upsert(msg(4));
  await repair.fill();
  assert.deepEqual(asked, [[0, 200]]);
});
