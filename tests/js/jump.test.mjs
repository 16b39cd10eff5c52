// Jumping to a message (static/js/jump.js): shown if held, older pages loaded to
// reach it (a bounded number), else the room opens around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { jumpTo, MAX_JUMP_PAGES } from '../../static/js/jump.js';
import { Timeline } from '../../static/js/timeline.js';

// A page holding seqs first..last of a room whose messages start at seq 1.
function page(first, last) {
  const timeline = new Timeline('general', { lastSeq: last, firstSeq: first, hasOlder: first > 1 });
  for (let seq = first; seq <= last; seq += 1) timeline.upsert({ room: 'general', seq });
  const world = { timeline, pages: 0, shown: [], opened: [], failing: false };
  world.hooks = {
    timeline,
    async loadOlder(limit) {
      if (world.failing) return false;
      world.pages += 1;
      const oldest = timeline.oldest;
      for (let seq = Math.max(1, oldest - limit); seq < oldest; seq += 1) timeline.upsert({ room: 'general', seq });
      timeline.olderLoaded(timeline.oldest > 1);
      return true;
    },
    show: (seq) => world.shown.push(seq),
    open: (seq) => world.opened.push(seq),
  };
  return world;
}

test('a message on the page is shown without loading anything', async () => {
  const world = page(51, 100);
  assert.equal(await jumpTo(60, world.hooks), 'shown');
  assert.deepEqual([world.shown, world.pages], [[60], 0]);
});

test('an older one is loaded page by page, the list staying gap-free', async () => {
  const world = page(501, 550);
  assert.equal(await jumpTo(120, world.hooks), 'shown');
  assert.deepEqual(world.shown, [120]);
  assert.equal(world.pages, 2);
  assert.equal(world.timeline.oldest, 101);
  assert.equal(world.timeline.size, 450);
});

test('one too far back, or a failed page, opens the room around it instead', async () => {
  const far = page(5001, 5050);
  assert.equal(await jumpTo(10, far.hooks), 'opened');
  assert.equal(far.pages, MAX_JUMP_PAGES);
  assert.deepEqual(far.opened, [10]);

  const offline = page(51, 100);
  offline.failing = true;
  assert.equal(await jumpTo(10, offline.hooks), 'opened');
  assert.deepEqual(offline.opened, [10]);
});

test('a seq the page should hold but does not (a gap) opens the room around it', async () => {
  const world = page(51, 100);
  world.timeline.upsert({ room: 'general', seq: 105 });
  assert.equal(await jumpTo(103, world.hooks), 'opened');
  assert.equal(world.pages, 0);
});
