// The one place the UI asks for the server's bearer token.
import { h } from "./dom";

let pending: Promise<string | null> | null = null;

// Resolves with the token typed, or null when the dialog is dismissed.
// Concurrent callers share one dialog.
export function askToken(why: string): Promise<string | null> {
  if (pending) return pending;
  pending = new Promise<string | null>((resolve) => {
    const input = h("input", { type: "password", name: "token", autocomplete: "off", "aria-label": "token" });
    const dialog = h(
      "dialog",
      { class: "token-dialog" },
      h(
        "form",
        { method: "dialog" },
        h("p", {}, why),
        h("p", { class: "muted" }, "It stays in this tab only (sessionStorage)."),
        input,
        h("menu", {}, h("button", { value: "cancel", type: "submit" }, "Cancel"),
          h("button", { value: "ok", type: "submit", class: "primary" }, "Use token")),
      ),
    );
    document.body.appendChild(dialog);
    dialog.addEventListener("close", () => {
      const value = dialog.returnValue === "ok" && input.value.trim() ? input.value.trim() : null;
      dialog.remove();
      pending = null;
      resolve(value);
    });
    dialog.showModal();
  });
  return pending;
}
