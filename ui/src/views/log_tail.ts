// The end of a step's stdout or stderr (GET /api/v1/runs/{id}/logs/{step}).
// While the step runs, what it writes is appended from the last offset
// (X-Log-Size) on each of its events; here, once a second while visible.
import { enc, getText } from "../api";
import { h } from "../dom";

const TAIL_LINES = 80;

export function logTail(run: number, step: string, stream: "stdout" | "stderr", live: boolean): HTMLElement {
  const pre = h("pre", { class: "log", "data-stream": stream }, "…");
  let text = "";
  let offset = 0;
  const load = async (): Promise<boolean> => {
    try {
      const { text: chunk, res } = await getText(`/api/v1/runs/${run}/logs/${enc(step)}?stream=${stream}&offset=${offset}`);
      text += chunk;
      offset += new TextEncoder().encode(chunk).length;
      const lines = text.split("\n");
      if (lines.length > TAIL_LINES + 1) text = lines.slice(-TAIL_LINES - 1).join("\n");
      pre.textContent = text || "(empty)";
      return Number(res.headers.get("X-Log-Size") ?? 0) > offset;
    } catch (e) {
      pre.textContent = e instanceof Error ? e.message : String(e);
      return false;
    }
  };
  void (async () => {
    while ((await load()) || (live && pre.isConnected)) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!pre.isConnected) break;
    }
  })();
  return pre;
}
