/*
 * "Load older messages" (#load-older, a link to ?before=<oldest> that works
 * without script): asks `history {before: oldest}` instead and puts
 * the page above what is shown, keeping the reader's place. The button goes once
 * seq 1 is shown or the server says there is nothing older. Jumping to an older
 * message (jump.js) loads through the same function.
 */

import { errorText } from './request.js';

const OLDER_LIMIT = 50;

// fetchBefore(before, limit) -> Promise<ack> of `history`; absorb(messages) stores
// and draws a page; onError(message) says why nothing came. Returns
// load(limit) -> Promise<bool>: whether a page came.
export function wireLoadOlder(button, { timeline, messages, fetchBefore, absorb, onError }) {
  let loading = null;   // the page on its way: a second ask waits for it

  async function fetchPage(limit) {
    button.setAttribute('aria-disabled', 'true');
    const ack = await fetchBefore(timeline.oldest, limit);
    button.removeAttribute('aria-disabled');
    if (!ack.ok) {
      onError(errorText(ack, 'Could not load older messages.'));
      return false;
    }
    messages.keepingPosition(() => absorb(ack.messages));
    timeline.olderLoaded(ack.has_more);
    if (!timeline.canLoadOlder()) button.hidden = true;
    button.search = '?before=' + timeline.oldest;   // opened in a new tab, it still shows what is older
    return true;
  }

  async function load(limit = OLDER_LIMIT) {
    if (!timeline.canLoadOlder()) {
      button.hidden = true;
      return false;
    }
    if (!loading) loading = fetchPage(limit).finally(() => { loading = null; });
    return loading;
  }

  button.addEventListener('click', (ev) => {
    ev.preventDefault();
    load();
  });
  return load;
}
