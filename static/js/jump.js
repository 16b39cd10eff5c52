/*
 * Jumping to a message (a reply's quote leads to its original). No DOM here:
 * the page hands in how to load older messages, show one, and open the room
 * around one.
 *
 * A message the page holds is shown at once. One older than what is loaded is
 * brought in with "load older" pages, so the list stays gap-free from there to
 * the newest; past MAX_JUMP_PAGES, or when loading fails, the page opens the
 * room around it instead (`?around=`, the link the quote has without script).
 */

export const JUMP_PAGE = 200;      // the server's cap for a history page
export const MAX_JUMP_PAGES = 5;   // 1000 older messages at most, then ?around=

// loadOlder(limit) -> Promise<bool> (whether a page came); show(seq); open(seq).
export async function jumpTo(seq, { timeline, loadOlder, show, open }) {
  for (let pages = 0; !timeline.get(seq); pages += 1) {
    const reachable = seq < timeline.oldest && timeline.canLoadOlder() && pages < MAX_JUMP_PAGES;
    if (!reachable || !(await loadOlder(JUMP_PAGE))) {
      open(seq);
      return 'opened';
    }
  }
  show(seq);
  return 'shown';
}
