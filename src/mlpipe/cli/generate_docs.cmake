# Runs the built mlpipe to generate what is installed beside it from its own
# command tree: the bash and zsh completions and a man page per command.
#   cmake -DMLPIPE=<mlpipe executable> -DOUT=<folder> -P generate_docs.cmake
# Writes OUT/completions/mlpipe (bash), OUT/completions/_mlpipe (zsh) and
# OUT/man/man1/*.1.
cmake_minimum_required(VERSION 3.25)
if(NOT MLPIPE OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DMLPIPE=... -DOUT=... -P generate_docs.cmake")
endif()
file(MAKE_DIRECTORY "${OUT}/completions")

function(run_mlpipe output)
  execute_process(COMMAND "${MLPIPE}" ${ARGN}
    OUTPUT_FILE "${output}.tmp" ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mlpipe ${ARGN} failed (${rc}): ${err}")
  endif()
  file(RENAME "${output}.tmp" "${output}")
endfunction()

run_mlpipe("${OUT}/completions/mlpipe" completion bash)
run_mlpipe("${OUT}/completions/_mlpipe" completion zsh)
execute_process(COMMAND "${MLPIPE}" manpages "${OUT}/man/man1" ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mlpipe manpages failed (${rc}): ${err}")
endif()
