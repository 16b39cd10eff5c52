// Originals (static/js/originals.js): what a quote shows of a message the
// timeline does not hold: fetched once, kept at its highest rev.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Originals } from '../../static/js/originals.js';
import { Timeline } from '../../static/js/timeline.js';

const msg = (seq, extra = {}) => ({ room: 'general', seq, rev: seq, username: 'ada', html: 'm' + seq, ...extra });
const settled = () => new Promise((resolve) => setImmediate(resolve));

function fixture({ online = true } = {}) {
  const timeline = new Timeline('general', { lastSeq: 60, firstSeq: 51 });
  for (let seq = 51; seq <= 60; seq += 1) timeline.upsert(msg(seq));
  const world = { timeline, fetched: [], arrived: [], online, answers: new Map() };
  world.originals = new Originals(timeline, {
    fetchOne: async (seq) => {
      world.fetched.push(seq);
      return world.answers.has(seq) ? world.answers.get(seq) : msg(seq);
    },
    onArrived: (seq) => world.arrived.push(seq),
    isOnline: () => world.online,
  });
  return world;
}

test('an original the timeline holds is its own copy; nothing is fetched', async () => {
  const world = fixture();
  assert.equal(world.originals.quoteOf(55), world.timeline.get(55));
  await settled();
  assert.deepEqual(world.fetched, []);
});

test('one not held is fetched once, however many quotes ask, and then shown', async () => {
  const world = fixture();
  assert.equal(world.originals.quoteOf(7), undefined);
  assert.equal(world.originals.quoteOf(7), undefined);
  await settled();
  assert.deepEqual(world.fetched, [7]);
  assert.deepEqual(world.arrived, [7]);
  assert.equal(world.originals.quoteOf(7).html, 'm7');
  await world.originals.fetchWanted();
  assert.deepEqual(world.fetched, [7]);
});

test('offline, asking waits for the join; a failed fetch is asked again after the next one', async () => {
  const world = fixture({ online: false });
  world.originals.quoteOf(3);
  await settled();
  assert.deepEqual(world.fetched, []);
  world.answers.set(3, null);
  await world.originals.fetchWanted();
  assert.deepEqual([world.fetched, world.arrived], [[3], []]);
  world.answers.delete(3);
  await world.originals.fetchWanted();
  assert.deepEqual([world.fetched, world.arrived], [[3, 3], [3]]);
});

test('a change to an original reaches its quotes; a stale or unrelated one does not', async () => {
  const world = fixture();
  world.originals.quoteOf(7);
  await settled();
  world.originals.offer(msg(7, { rev: 90, deleted: true, html: '' }));
  world.originals.offer(msg(7, { rev: 80, html: 'stale' }));
  world.originals.offer(msg(8, { rev: 91 }));
  assert.equal(world.originals.quoteOf(7).deleted, true);
  assert.deepEqual(world.arrived, [7, 7]);
});
