# relay_embed_assets(target OUTPUT file.cpp NAMESPACE ns FILES a b c): compiles files into the
# binary as a table {path, content-type, bytes}, so the inspector UI works offline, with no CDN.
function(relay_embed_assets target)
  cmake_parse_arguments(E "" "OUTPUT;NAMESPACE;BASE" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${E_OUTPUT} -DNAMESPACE=${E_NAMESPACE} -DBASE=${E_BASE}
            "-DFILES=${E_FILES}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_assets_run.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_assets_run.cmake
    COMMENT "Embedding web assets")
  target_sources(${target} PRIVATE ${E_OUTPUT})
endfunction()
