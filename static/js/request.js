/*
 * request: the one way this client emits an event that expects an acknowledgement.
 *
 * Every client event of the contract takes an ack callback that answers one object,
 * {ok: true, ...} or {ok: false, error: {code, message}}. The promise returned here
 * always resolves to such an object, so callers handle a single shape: no
 * connection, no answer in time and a malformed answer become the client-side codes
 * `offline`, `timeout` and `bad_response`. No DOM here.
 */

export const ACK_TIMEOUT_MS = 5000;

// The codes above: the server never answered, so retrying may help.
export const NO_ANSWER = new Set(['offline', 'timeout', 'bad_response']);

const failure = (code, message) => ({ ok: false, error: { code, message } });

export function request(socket, event, payload, { timeout = ACK_TIMEOUT_MS } = {}) {
  // Nothing is emitted while disconnected: socket.io would buffer the emit and
  // deliver it on reconnect, before the page has joined its room again.
  if (!socket.connected) return Promise.resolve(failure('offline', 'Not connected.'));
  return new Promise((resolve) => {
    socket.timeout(timeout).emit(event, payload, (err, ack) => {
      if (err) resolve(failure('timeout', 'The server did not answer in time.'));
      else if (!ack || typeof ack !== 'object') resolve(failure('bad_response', 'Unexpected answer from the server.'));
      else resolve(ack);
    });
  });
}

// The server's own words for a refusal, else the caller's.
export const errorText = (ack, fallback) => (ack && ack.error && ack.error.message) || fallback;
