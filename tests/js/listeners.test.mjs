// Listeners that go with their page (static/js/listeners.js): a socket's (on/off)
// and the DOM's (addEventListener) alike, and only those added here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';

import { Listeners } from '../../static/js/listeners.js';

test('clear() removes what was added here from sockets and event targets, nothing else', () => {
  const socket = new EventEmitter();
  const target = new EventTarget();
  const heard = [];
  socket.on('message', () => heard.push('other page'));
  const page = new Listeners();
  page.on(socket, 'message', () => heard.push('socket'));
  page.on(target, 'scroll', () => heard.push('target'));
  assert.equal(page.size, 2);
  socket.emit('message');
  target.dispatchEvent(new Event('scroll'));
  page.clear();
  socket.emit('message');
  target.dispatchEvent(new Event('scroll'));
  assert.deepEqual(heard, ['other page', 'socket', 'target', 'other page']);
  assert.equal(page.size, 0);
});
