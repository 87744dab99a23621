// The Python source of the notebook runner; its contract is in notebook_runner.h.
#include "mlpipe/ml/components/notebook_runner.h"

namespace mlpipe::ml::components {

const char* const kNotebookRunnerPy = R"PY(
import sys

if sys.path and sys.path[0] == "":  # `python3 -c` imports from the working folder first: not here
    del sys.path[0]

import json
import math
import os
import re
import time

STARTED = time.monotonic()  # about when the step's clock started
result_fd = 3


def report(ok, error="", note=""):
    try:
        os.write(result_fd, (json.dumps({"ok": ok, "error": error, "note": note}) + "\n").encode())
    except OSError:
        pass


# debugpy (imported with ipykernel, here and in the kernel) warns on every start.
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbconvert import HTMLExporter
    import ipykernel  # noqa: F401  (the python3 kernel)
except ImportError as e:
    report(False, note=f"{sys.executable}: {e}")
    sys.exit(3)

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def py_literal(value):
    """Python source for a JSON value: str, int, float, bool, None, list, dict."""
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid Python literal of the same text
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as a Python literal")


def injected_source(req):
    lines = []
    for title, values in (("Parameters", req["params"]), ("Inputs", req["inputs"]), ("Outputs", req["outputs"])):
        if values:
            lines.append(f"# {title}")
            lines += [f"{name} = {py_literal(value)}" for name, value in values.items()]
    return "\n".join(lines)


def inject(nb, source):
    """Injects the cell; returns, per cell of nb, its 1-based number in the file (None: injected)."""
    numbers = []
    cells = []
    for number, cell in enumerate(nb.cells, 1):
        if "injected-parameters" in cell.metadata.get("tags", []):
            continue  # a cell injected by an earlier run (papermill's output): replaced
        cells.append(cell)
        numbers.append(number)
    at = next((i + 1 for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])), 0)
    if source:
        cells.insert(at, nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]}))
        numbers.insert(at, None)
    nb.cells = cells
    return numbers


def kernel_name(nb):
    """The notebook's kernel if it is installed, else python3 (with a note)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    name = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    try:
        KernelSpecManager().get_kernel_spec(name)
        return name, ""
    except NoSuchKernel:
        return "python3", f"kernel '{name}' is not installed: running it with python3 ({sys.executable})"


def die_with_parent():
    """Kernels start in a session of their own: this makes one die with its runner."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return lambda: libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return None


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def error_output(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def main():
    global result_fd
    req = json.load(sys.stdin)
    result_fd = req.get("result_fd", 3)
    path = req["path"]
    try:
        nb = nbformat.read(req["notebook"], as_version=4)
    except Exception as e:  # unreadable or not a notebook: nbformat says why
        report(False, f"{path}: cannot read the notebook: {e}")
        return 2
    numbers = inject(nb, injected_source(req))
    kernel, note = kernel_name(nb)
    if note:
        print(f"{path}: {note}", file=sys.stderr, flush=True)

    # Each cell may run for cell_timeout, and no cell past the step's timeout
    # less a reserve: the runner stops it first, to save what ran.
    cell_timeout = req.get("cell_timeout")
    step_timeout = req.get("step_timeout")
    deadline = None
    if step_timeout:
        deadline = STARTED + step_timeout - min(30.0, max(3.0, 0.1 * step_timeout))
    current = {"index": None, "limit": ""}

    def timeout_func(cell):
        limits = []  # (seconds, why): nbclient counts whole seconds
        if cell_timeout:
            limits.append((max(1, math.ceil(cell_timeout)), f"timed out after {cell_timeout:g}s (cell_timeout)"))
        if deadline is not None:
            limits.append((max(1, math.ceil(deadline - time.monotonic())),
                           f"was stopped: the step's timeout ({step_timeout:g}s) was near"))
        if not limits:
            return None
        seconds, current["limit"] = min(limits)
        return seconds

    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    def on_cell_executed(cell, cell_index, execute_reply):
        for out in cell.get("outputs", []):  # what the cell printed, into the step's logs
            if out.get("output_type") == "stream":
                stream = sys.stderr if out.get("name") == "stderr" else sys.stdout
                stream.write(out.get("text", ""))
                stream.flush()
        if cell_index == code_cells[-1] and execute_reply.get("content", {}).get("status") == "ok":
            client.shutdown_kernel = "graceful"  # let the kernel exit cleanly (files it left open are flushed)

    # A kernel that failed, or is stuck in a cell, is killed at once.
    client = NotebookClient(nb, kernel_name=kernel, timeout_func=timeout_func, allow_errors=False,
                            shutdown_kernel="immediate", record_timing=True,
                            resources={"metadata": {"path": os.getcwd()}},
                            on_cell_start=on_cell_start, on_cell_executed=on_cell_executed)
    if deadline is not None:  # the kernel's start counts too
        client.startup_timeout = max(1, math.ceil(deadline - time.monotonic()))
    print(f"{path}: running {len(code_cells)} code cells with kernel {kernel}", flush=True)
    started = time.monotonic()
    summary, details = "", ""  # one line, and the traceback (when a cell raised)
    try:
        preexec = die_with_parent()
        if preexec is not None:
            client.execute(preexec_fn=preexec)
        else:
            client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        index = current["index"]
        cell = nb.cells[index] if index is not None else None
        where = "a cell"
        if cell is not None:
            where = f"cell {numbers[index]}" if numbers[index] is not None else "the injected parameters cell"
            if cell.get("execution_count") is not None:
                where += f" (execution count {cell.execution_count})"
        err = error_output(cell) if cell is not None else None
        if isinstance(e, CellTimeoutError):
            summary = f"{where} {current['limit']}"
        elif isinstance(e, DeadKernelError):
            summary = f"{where}: the kernel died (killed, out of memory, or the step was stopped)"
        elif err is not None:
            summary = f"{where} failed: {err.get('ename', '')}: {err.get('evalue', '')}"
            details = f"{path}: {where} failed:\n" + ANSI.sub("", "\n".join(err.get("traceback", [])))
        else:
            summary = f"{where} failed: {ANSI.sub('', str(e)).strip()}"
        if cell is not None:  # a banner above the cell, as papermill writes, for whoever opens the report
            banner = nbformat.v4.new_markdown_cell(
                f"**mlpipe: the notebook stopped here.** {summary}", metadata={"tags": ["mlpipe-error"]})
            nb.cells.insert(index, banner)
    except Exception as e:  # the kernel did not start, or nbclient failed
        summary = f"cannot run the notebook: {type(e).__name__}: {ANSI.sub('', str(e)).strip()}"
    seconds = time.monotonic() - started

    write_atomically(req["executed"], nbformat.writes(nb))
    html_error = ""
    try:
        body, _ = HTMLExporter().from_notebook_node(nb)
        write_atomically(req["html"], body)
    except Exception as e:
        html_error = f"cannot render the notebook as HTML: {type(e).__name__}: {e}"
    if summary:
        print(details or f"{path}: {summary}", file=sys.stderr)
        print(f"the executed notebook, up to the failure: {req['executed']}", file=sys.stderr)
        if not html_error:
            print(f"its HTML rendering: {req['html']}", file=sys.stderr)
        sys.stderr.flush()
        report(False, f"{path}: {summary}")
        return 1
    if html_error:
        report(False, f"{path}: {html_error}")
        return 2
    print(f"{path}: ran in {seconds:.1f}s", flush=True)
    report(True)
    return 0


if __name__ == "__main__":
    try:
        status = main()
    except Exception as e:  # a bug here, not in the notebook: say so, with the traceback
        import traceback
        traceback.print_exc()
        report(False, f"the notebook runner failed: {type(e).__name__}: {e}")
        status = 2
    sys.exit(status)
)PY";

}  // namespace mlpipe::ml::components
