// GET /api/v1/events read with fetch and a stream reader, not EventSource:
// EventSource cannot send the Authorization header a server beyond loopback
// needs. The stream is resumed after the last event seen (?after=N), so a
// reconnect neither loses nor repeats an event.
import { apiFetch } from "./api";
import { onReconnect } from "./connection";

export interface ServerEvent {
  id: number;
  time_ns: number;
  kind: string;
  pipeline: string;
  run: number | null;
  data: Record<string, unknown>;
}

export interface Subscription {
  ready: Promise<void>; // the stream is open: a snapshot read now misses nothing
  close(): void;
}

export function subscribe(
  filter: { run?: number; pipeline?: string },
  onEvent: (e: ServerEvent) => void,
): Subscription {
  let closed = false;
  let lastId: number | null = null;
  let abort = new AbortController();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));

  const url = (): string => {
    const q = new URLSearchParams();
    if (filter.run !== undefined) q.set("run", String(filter.run));
    if (filter.pipeline !== undefined) q.set("pipeline", filter.pipeline);
    if (lastId !== null) q.set("after", String(lastId));
    return `/api/v1/events?${q}`;
  };

  const readOnce = async (): Promise<"ended" | "unreachable"> => {
    let res: Response;
    try {
      res = await apiFetch(url(), { signal: abort.signal, headers: { Accept: "text/event-stream" } });
    } catch {
      return "unreachable";
    }
    if (!res.ok || !res.body) return "ended";
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          handleBlock(block);
        }
      }
    } catch {
      // aborted, or the connection dropped
    }
    return "ended";
  };

  const handleBlock = (block: string): void => {
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith(": events after ")) {
        // The server's first line: where this stream starts.
        if (lastId === null) lastId = Number(line.slice(15));
        markReady();
      } else if (line.startsWith("data: ")) {
        data += line.slice(6);
      }
    }
    if (!data) return;
    const e = JSON.parse(data) as ServerEvent;
    lastId = e.id;
    onEvent(e);
  };

  void (async () => {
    while (!closed) {
      const how = await readOnce();
      if (closed) break;
      if (how === "unreachable") {
        // The banner is up; wait for the server to come back.
        await new Promise<void>((r) => {
          const off = onReconnect(() => {
            off();
            r();
          });
        });
      } else {
        await new Promise((r) => setTimeout(r, 1000));
      }
      abort = new AbortController();
    }
  })();

  return {
    ready,
    close() {
      closed = true;
      abort.abort();
      markReady();
    },
  };
}
