# relay_module(name DEPS ...): one static library per module, from src/<name>/**.cpp, public
# headers under include/relay/<name>/. Files are globbed so a new file needs no CMake edit.
function(relay_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT sources)
    set(sources ${PROJECT_SOURCE_DIR}/cmake/empty.cpp)
  endif()
  add_library(relay_${name} STATIC ${sources})
  target_include_directories(relay_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                           PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(relay_${name} PUBLIC ${M_DEPS})
  relay_set_warnings(relay_${name})
endfunction()
