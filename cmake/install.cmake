# What `cmake --install` puts beside the executables (installed by
# src/mlpipe/cli/CMakeLists.txt with their completions and man pages), and
# the Debian package CPack makes of it all (`make package`).

# The documentation, and the examples as data (share/doc may be left out of
# minimal systems; the examples must be there to be copied and run).
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB MLPIPE_DOCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${MLPIPE_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/mlpipe/examples
  PATTERN ".mlpipe" EXCLUDE
  PATTERN "__pycache__" EXCLUDE)

# The Debian package: mlpipe_<version>_<arch>.deb, depending on the packages
# of the shared libraries the executables link (dpkg-shlibdeps, from
# dpkg-dev), installed under /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mlpipe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "mlpipe")
set(CPACK_PACKAGE_CONTACT "mlpipe developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "machine-learning pipelines that retrain, test and redeploy themselves")
set(CPACK_PACKAGE_DESCRIPTION
    "mlpipe runs a DAG of reusable components (any executable, or a built-in C++ one) joined by \
content-addressed, versioned artifacts; it records runs, lineage and metrics in SQLite, keeps a model \
registry and serves models over HTTP (Open Inference Protocol v2). One binary; nothing else to run on \
one machine.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # mlpipe_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The examples and the templates of `mlpipe init` run Python scripts.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS python3)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
include(CPack)
