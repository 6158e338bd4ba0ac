# relay_embed_assets(target OUTPUT file.cpp NAMESPACE ns BASE dir HEADER h FILES a b c): compiles
# files into the binary as a table {path, content-type, bytes}, so the inspector UI works
# offline, with no CDN. The generated file includes HEADER, which declares in NAMESPACE
#   struct EmbeddedAsset { std::string_view path, content_type, bytes; };
#   std::span<const EmbeddedAsset> embedded_assets();
function(relay_embed_assets target)
  cmake_parse_arguments(E "" "OUTPUT;NAMESPACE;BASE;HEADER" "FILES" ${ARGN})
  string(REPLACE ";" "|" files_arg "${E_FILES}")
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${E_OUTPUT} -DNAMESPACE=${E_NAMESPACE} -DBASE=${E_BASE}
            -DHEADER=${E_HEADER} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_assets_run.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_assets_run.cmake
    COMMENT "Embedding web assets into ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE ${E_OUTPUT})
endfunction()
