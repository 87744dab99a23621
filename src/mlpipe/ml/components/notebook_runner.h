// The Python program behind the mlpipe/notebook built-in (internal to ml/).
//
// Run as `python3 -c kNotebookRunnerPy` (components/script_process.h), it
// reads a request on stdin:
//   {"notebook": ABSOLUTE_PATH, "path": PATH_AS_WRITTEN, "params": {...},
//    "inputs": {NAME: PATH}, "outputs": {NAME: PATH}, "executed": PATH,
//    "html": PATH, "cell_timeout": SECONDS or null, "step_timeout": SECONDS
//    or null, "result_fd": 3}
// injects the params, input paths and output paths as Python variables in a
// cell tagged `injected-parameters` after the first cell tagged `parameters`
// (first in the notebook when there is none; a cell injected by an earlier
// run is replaced), runs every cell headless with nbclient and the
// notebook's kernel (python3 when it names none, or one not installed), each
// cell for at most cell_timeout, and none past the step's timeout less a
// reserve (a tenth, 3 to 30 s: the runner stops the cell itself, so that
// what ran is saved before the step is killed), and writes the executed notebook to `executed` and its HTML
// rendering (nbconvert) to `html`, also when a cell fails. What cells print goes to its stdout and stderr. A
// failing cell's number in the file, execution count and traceback (ANSI colours removed) go to stderr, with
// the paths of the executed notebook and its HTML.
//
// It reports one JSON line {"ok", "error", "note"} on fd `result_fd` and
// exits 0 (ran), 1 (a cell failed or timed out, or the kernel died), 2 (the
// notebook could not be read or rendered) or 3 (this Python lacks nbformat,
// nbclient, nbconvert or ipykernel; "note" says which).
#pragma once

namespace mlpipe::ml::components {

extern const char* const kNotebookRunnerPy;

}  // namespace mlpipe::ml::components
