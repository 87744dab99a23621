// The server going away and coming back: a banner while it is unreachable,
// one health check a second until it answers, then every view that asked is
// told (it reloads its data and its events stream).
import { h } from "./dom";

let down = false;
const listeners = new Set<() => void>();
let banner: HTMLElement | null = null;

export function onReconnect(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function isDown(): boolean {
  return down;
}

export function connectionLost(): void {
  if (down) return;
  down = true;
  banner = h("div", { class: "banner", role: "status" }, "Reconnecting to the server…");
  document.body.prepend(banner);
  void probe();
}

async function probe(): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      // Any HTTP answer (even a 401) means the server is back.
      await fetch("/api/v1/health", { cache: "no-store" });
      break;
    } catch {
      // still down
    }
  }
  down = false;
  banner?.remove();
  banner = null;
  for (const fn of [...listeners]) fn();
}
