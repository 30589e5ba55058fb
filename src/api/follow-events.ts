/**
 * Follows a runtime's `GET /events` (server-sent events: an `event:` and a `data:` line per
 * block, blocks separated by a blank line) until aborted, handing each event's name and parsed
 * data to `onEvent`. A stream that ends (the runtime stopped or died) ends the follower quietly.
 */
export function followEvents(
  apiUrl: string,
  token: string,
  onEvent: (event: string, data: unknown) => void,
): AbortController {
  const controller = new AbortController();
  void (async () => {
    const response = await fetch(`${apiUrl}/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop() ?? '';
      for (const block of blocks) {
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) onEvent(event, JSON.parse(data));
      }
    }
  })().catch(() => undefined);
  return controller;
}
