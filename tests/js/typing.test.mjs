// Typing indicators (static/js/typing.js): renewals, idle stop, others lapsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { OwnTyping, Typists, typingText, TYPING_IDLE_MS, TYPING_TTL_MS } from '../../static/js/typing.js';

test('own typing is said once, renewed every 3 s, and ended after 4 s idle', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const said = [];
  const typing = new OwnTyping((flag) => {
    said.push(flag);
    return true;   // sent
  });
  for (let ms = 0; ms <= 3000; ms += 500) {
    typing.input(true);
    t.mock.timers.tick(500);
  }
  assert.deepEqual(said, [true, true], 'once at the start, once renewed');
  t.mock.timers.tick(TYPING_IDLE_MS);
  assert.deepEqual(said, [true, true, false]);
  typing.input(false);
  assert.deepEqual(said, [true, true, false], 'nothing to end');
});

test('others typing lapse after 5 s without renewal', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const shown = [];
  const typists = new Typists((names) => shown.push(typingText(names)));
  typists.set('bob', true);
  typists.set('eve', true);
  t.mock.timers.tick(TYPING_TTL_MS - 1);
  typists.set('eve', true);
  t.mock.timers.tick(1);
  assert.deepEqual(typists.names(), ['eve']);
  typists.set('eve', false);
  assert.deepEqual(shown, ['bob is typing…', 'bob and eve are typing…', 'bob and eve are typing…', 'eve is typing…', '']);
});

test('the indicator names up to three people', () => {
  assert.equal(typingText([]), '');
  assert.equal(typingText(['a', 'b', 'c']), 'a, b and c are typing…');
  assert.equal(typingText(['a', 'b', 'c', 'd']), 'Several people are typing…');
});
