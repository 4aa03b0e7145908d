// What the guest app and the POS console share to follow a live feed (Server-Sent Events through
// the gateway) and word what it says.

/** A catalogue string with its `{name}` placeholders filled. */
export const format = (text, values) =>
  (text || '').replace(/\{(\w+)\}/g, (_, key) => values[key] ?? '');

/** The message a live event carries, or null when it is no JSON or was seen already (a rebuilt
 *  feed may send an event again: the event id tells). */
export function liveMessage(event, seen) {
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return null;
  }
  if (message.id) {
    if (seen.has(message.id)) return null;
    seen.add(message.id);
  }
  return message;
}
