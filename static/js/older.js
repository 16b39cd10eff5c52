/*
 * "Load older messages" (#load-older): asks `history {before: oldest}` and puts
 * the page above what is shown, keeping the reader's place. The button goes once
 * seq 1 is shown or the server says there is nothing older.
 */

import { errorText } from './request.js';

const OLDER_LIMIT = 50;

// fetchBefore(before, limit) -> Promise<ack> of `history`; absorb(messages) stores
// and draws a page; onError(message) says why nothing came.
export function wireLoadOlder(button, { timeline, messages, fetchBefore, absorb, onError }) {
  let loading = false;
  button.addEventListener('click', async () => {
    if (!timeline.canLoadOlder()) {
      button.hidden = true;
      return;
    }
    if (loading) return;
    loading = true;
    button.disabled = true;
    const ack = await fetchBefore(timeline.oldest, OLDER_LIMIT);
    loading = false;
    button.disabled = false;
    if (!ack.ok) {
      onError(errorText(ack, 'Could not load older messages.'));
      return;
    }
    messages.keepingPosition(() => absorb(ack.messages));
    timeline.olderLoaded(ack.has_more);
    if (!timeline.canLoadOlder()) button.hidden = true;
  });
}
