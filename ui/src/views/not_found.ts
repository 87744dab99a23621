import { h } from "../dom";
import type { View } from "../router";

export const notFoundView: View = (root) => {
  document.title = "not found · mlpipe";
  root.append(
    h("div", { class: "error-box" }, h("p", {}, `No view at ${location.pathname}`), h("a", { href: "/runs" }, "Back to the runs")),
  );
};
