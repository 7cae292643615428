# MariaDB Connector/C with every authentication plugin built in, as
# hicloud::mariadb. Built once by scripts/build-connector and cached outside
# the build tree (a clean build reuses it; a changed recipe rebuilds it).
if(DEFINED ENV{HOME})
  set(hicloud_default_deps "$ENV{HOME}/.cache/hicloud")
else()
  set(hicloud_default_deps "${CMAKE_BINARY_DIR}/_deps")
endif()
set(HICLOUD_DEPS_DIR "${hicloud_default_deps}" CACHE PATH "Where built dependencies are cached")
set(HICLOUD_CONNECTOR_PREFIX "${HICLOUD_DEPS_DIR}/connector-c")

execute_process(
  COMMAND "${CMAKE_SOURCE_DIR}/scripts/build-connector" "${HICLOUD_CONNECTOR_PREFIX}"
  RESULT_VARIABLE connector_result)
if(NOT connector_result EQUAL 0)
  message(FATAL_ERROR "building MariaDB Connector/C failed (scripts/build-connector)")
endif()

add_library(hicloud::mariadb STATIC IMPORTED)
set_target_properties(hicloud::mariadb PROPERTIES
  IMPORTED_LOCATION "${HICLOUD_CONNECTOR_PREFIX}/lib/mariadb/libmariadbclient.a")
# BEFORE: these headers must win over any system libmariadb-dev.
target_include_directories(hicloud::mariadb BEFORE INTERFACE "${HICLOUD_CONNECTOR_PREFIX}/include/mariadb")
# Link order matters for static archives: the connector, then TLS, then zlib.
target_link_libraries(hicloud::mariadb INTERFACE OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB Threads::Threads ${CMAKE_DL_LIBS})
