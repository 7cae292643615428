# Sources generated at build time: the version stamp, the embedded schema and the dashboard.
set(gen_dir "${CMAKE_BINARY_DIR}/generated")

# Version: regenerated on every build, rewritten only when it changed.
add_custom_target(hicloud_version_stamp
  COMMAND ${CMAKE_COMMAND}
    -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUTPUT=${gen_dir}/version.cpp
    -DVERSION=${PROJECT_VERSION} -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
    -P ${CMAKE_SOURCE_DIR}/cmake/write-version.cmake
  BYPRODUCTS ${gen_dir}/version.cpp
  COMMENT "" VERBATIM)

# Schema: every schema/NNN_name.sql compiled in, so migrate works from an empty container.
file(GLOB schema_files CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/schema/*.sql")
list(SORT schema_files)
add_custom_command(
  OUTPUT ${gen_dir}/schema_files.cpp
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${gen_dir}/schema_files.cpp "-DFILES=${schema_files}"
    -P ${CMAKE_SOURCE_DIR}/cmake/embed-schema.cmake
  DEPENDS ${schema_files} ${CMAKE_SOURCE_DIR}/cmake/embed-schema.cmake
  VERBATIM)

# Dashboard: every file directly in web/, served at / and /assets/NAME.
file(GLOB web_files CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/web/*")
list(SORT web_files)
add_custom_command(
  OUTPUT ${gen_dir}/web_assets.cpp
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${gen_dir}/web_assets.cpp "-DFILES=${web_files}"
    -P ${CMAKE_SOURCE_DIR}/cmake/embed-web.cmake
  DEPENDS ${web_files} ${CMAKE_SOURCE_DIR}/cmake/embed-web.cmake
  VERBATIM)

set(HICLOUD_GENERATED_SOURCES ${gen_dir}/version.cpp ${gen_dir}/schema_files.cpp ${gen_dir}/web_assets.cpp)
