// The run view's Re-run button: a new run of the same pipeline with this
// run's params (POST /api/v1/pipelines/{name}/runs with "params", checked by
// the server as `mlpipe run -p` checks them). The pipeline's events stream is
// open before the POST, so the new run's run.started is never missed; the
// view then moves to that run.
import { ApiError, enc, postJson } from "../api";
import { h } from "../dom";
import { subscribe } from "../events";
import { navigate } from "../router";
import type { RunDetail } from "../types";
import { runHref } from "../widgets";

export function rerunButton(r: RunDetail): HTMLElement {
  const message = h("span", { class: "muted rerun-message" });
  const button = h("button", { type: "button", class: "rerun", title: "a new run of this pipeline with these params" }, "Re-run");
  button.addEventListener("click", async () => {
    button.disabled = true;
    message.textContent = "";
    const runOfFire = new Map<number, number>();
    let wanted: number | null = null;
    const sub = subscribe({ pipeline: r.pipeline }, (e) => {
      if (e.kind !== "run.started") return;
      const fire = Number(e.data.fire);
      const run = Number(e.data.run);
      runOfFire.set(fire, run);
      if (fire === wanted) {
        sub.close();
        navigate(runHref(run));
      }
    });
    try {
      await sub.ready;
      const res = await postJson<{ fire: { id: number; state: string } }>(`/api/v1/pipelines/${enc(r.pipeline)}/runs`, {
        params: r.params,
      });
      wanted = res.fire.id;
      message.textContent = `fire ${res.fire.id}: ${res.fire.state}`;
      const run = runOfFire.get(wanted);
      if (run !== undefined) {
        sub.close();
        navigate(runHref(run));
      }
    } catch (e) {
      sub.close();
      button.disabled = false;
      message.textContent = e instanceof ApiError || e instanceof Error ? e.message : String(e);
    }
  });
  return h("span", { class: "rerun-box" }, button, message);
}
