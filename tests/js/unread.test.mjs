// The sidebar's counts (static/js/unread.js): unread and mentions from the render,
// raised by activity, cleared by read, merged with a later render without losing
// what arrived live.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { UnreadCounts, badgeText, titleWith } from '../../static/js/unread.js';

function counts(seeds) {
  const c = new UnreadCounts();
  for (const [slug, seed] of Object.entries(seeds)) c.seed(slug, seed);
  return c;
}

test('a rendered room counts last_seq - last_read_seq unread, and its mentions apart', () => {
  const c = counts({ general: { lastSeq: 12, readSeq: 9, mentions: 1 } });
  assert.deepEqual(c.counts('general'), { unread: 3, mentions: 1 });
  assert.deepEqual(c.counts('nowhere'), { unread: 0, mentions: 0 });
});

test('activity raises the unread count to its last_seq; a repeat or an older one changes nothing', () => {
  const c = counts({ general: { lastSeq: 12, readSeq: 12 } });
  assert.equal(c.activity({ room: 'general', last_seq: 14, mention: false }), true);
  assert.deepEqual(c.counts('general'), { unread: 2, mentions: 0 });
  c.activity({ room: 'general', last_seq: 14, mention: false });
  c.activity({ room: 'general', last_seq: 13, mention: false });
  assert.deepEqual(c.counts('general'), { unread: 2, mentions: 0 });
});

test("one's own message, written on another tab, is read up to it", () => {
  const c = counts({ general: { lastSeq: 12, readSeq: 10, mentions: 1 } });
  c.activity({ room: 'general', last_seq: 13, mention: false, username: 'ada' }, 'ada');
  assert.deepEqual(c.counts('general'), { unread: 0, mentions: 0 });
  c.activity({ room: 'general', last_seq: 14, mention: false, username: 'bob' }, 'ada');
  assert.deepEqual(c.counts('general'), { unread: 1, mentions: 0 });
});

test('a mention counts once per message, beyond the mark only', () => {
  const c = counts({ general: { lastSeq: 12, readSeq: 12 } });
  c.activity({ room: 'general', last_seq: 13, mention: false });
  c.activity({ room: 'general', last_seq: 13, mention: true });   // the same message, to the person named
  c.activity({ room: 'general', last_seq: 13, mention: true });
  assert.deepEqual(c.counts('general'), { unread: 1, mentions: 1 });
  c.activity({ room: 'general', last_seq: 11, mention: true });   // already read
  assert.equal(c.counts('general').mentions, 1);
});

test('a read clears what it covers, on any tab, and never moves the mark back', () => {
  const c = counts({ general: { lastSeq: 12, readSeq: 9, mentions: 2 } });
  c.activity({ room: 'general', last_seq: 15, mention: true });
  c.read('general', 13);
  assert.deepEqual(c.counts('general'), { unread: 2, mentions: 1 }, 'the rendered mentions (up to 12) are read');
  c.read('general', 10);
  assert.deepEqual(c.counts('general'), { unread: 2, mentions: 1 });
  c.read('general', 15);
  assert.deepEqual(c.counts('general'), { unread: 0, mentions: 0 });
});

test('a read short of the rendered last_seq keeps the rendered mentions (they may lie beyond it)', () => {
  const c = counts({ general: { lastSeq: 12, readSeq: 5, mentions: 1 } });
  c.read('general', 8);
  assert.deepEqual(c.counts('general'), { unread: 4, mentions: 1 });
});

test('a render older than what arrived live does not lose it; a newer one replaces the count', () => {
  const c = counts({ general: { lastSeq: 12, readSeq: 12 } });
  c.activity({ room: 'general', last_seq: 13, mention: true });
  c.seed('general', { lastSeq: 12, readSeq: 12, mentions: 0 });   // rendered before message 13
  assert.deepEqual(c.counts('general'), { unread: 1, mentions: 1 });
  c.seed('general', { lastSeq: 13, readSeq: 12, mentions: 1 });   // rendered after it: counted there
  assert.deepEqual(c.counts('general'), { unread: 1, mentions: 1 }, 'not twice');
  c.read('general', 13);
  c.seed('general', { lastSeq: 13, readSeq: 12, mentions: 1 });   // rendered before the read
  assert.deepEqual(c.counts('general'), { unread: 0, mentions: 0 });
});

test('a mention the render counted already is not counted again when its activity comes late', () => {
  const c = counts({ general: { lastSeq: 13, readSeq: 12, mentions: 1 } });
  c.activity({ room: 'general', last_seq: 13, mention: true });
  assert.deepEqual(c.counts('general'), { unread: 1, mentions: 1 });
});

test('activity of a room the sidebar does not show says so (the sidebar reloads)', () => {
  const c = counts({ general: { lastSeq: 1, readSeq: 1 } });
  assert.equal(c.activity({ room: 'plans', last_seq: 0, mention: false }), false);
  assert.equal(c.knows('plans'), false);
});

test('the open room counts its own messages as seen', () => {
  const c = counts({ general: { lastSeq: 3, readSeq: 3 } });
  c.seen('general', 5);
  assert.deepEqual(c.counts('general'), { unread: 2, mentions: 0 });
});

test('the title carries the unread mentions of every room', () => {
  const c = counts({ a: { lastSeq: 4, readSeq: 1, mentions: 2 }, b: { lastSeq: 2, readSeq: 0, mentions: 1 } });
  assert.equal(c.totalMentions(), 3);
  assert.equal(titleWith(3, 'general · Parley'), '(3) general · Parley');
  assert.equal(titleWith(0, '(3) general · Parley'), 'general · Parley');
  assert.equal(titleWith(120, '(3) general · Parley'), '(99+) general · Parley');
  assert.equal(badgeText(100), '99+');
});
