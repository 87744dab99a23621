# mlpipe_npm_ci(SRC BUILD COMMENT): `npm ci` of the package in SRC (its
# package.json and committed package-lock.json, copied) into BUILD, a folder
# of the build tree, again whenever either file changes. Its output,
# BUILD/node_modules/.npm-ci.stamp, is what the steps that use the packages
# depend on. Used by the web UI (src/mlpipe/server) and the Argo Workflow
# validator (tests/argo).
function(mlpipe_npm_ci src build comment)
  # The commands run in it: make runs `cd DIR` before their first command,
  # so it must exist before the first build of a new build folder.
  file(MAKE_DIRECTORY ${build})
  add_custom_command(OUTPUT ${build}/node_modules/.npm-ci.stamp
    COMMAND ${CMAKE_COMMAND} -E make_directory ${build}
    COMMAND ${CMAKE_COMMAND} -E copy ${src}/package.json ${src}/package-lock.json ${build}/
    COMMAND ${MLPIPE_NPM} ci --no-audit --no-fund --loglevel=error
    COMMAND ${CMAKE_COMMAND} -E touch ${build}/node_modules/.npm-ci.stamp
    WORKING_DIRECTORY ${build}
    DEPENDS ${src}/package.json ${src}/package-lock.json
    COMMENT "${comment}")
endfunction()
