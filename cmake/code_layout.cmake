# Code layout: the functions `relay edge` and `relay http` run, laid out together in the order
# cmake/relay.order lists them (lld's --symbol-ordering-file; bench/orderfile.py writes the file).
# The kernel maps a program's code 64 KiB around each page it touches: spread over all 5 MiB of
# relay's code, the ~800 KiB an edge runs kept ~4 MiB of it in the edge's RSS; laid out
# together, ~1.2 MiB (docs/architecture.md, "Code layout"). A function missing from the file
# (new since it was written) links after the listed ones: the build never depends on the file
# being current.
option(RELAY_CODE_LAYOUT "Lay out the code edge and agent run together (needs lld)" ON)

set(RELAY_ORDER_FILE ${PROJECT_SOURCE_DIR}/cmake/relay.order)
set(relay_code_layout OFF)
# Sanitized, fuzzing and Debug builds are for finding bugs: they keep the default layout.
if(RELAY_CODE_LAYOUT AND NOT RELAY_SANITIZE AND NOT RELAY_FUZZ
   AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=lld" RELAY_HAVE_LLD)
  if(RELAY_HAVE_LLD)
    set(relay_code_layout ON)
    # One section per function, so that the linker can place each where the file says.
    add_compile_options(-ffunction-sections)
  else()
    message(STATUS "relay: lld not found, so relay's code keeps the default layout "
                   "(apt-get install lld; docs/architecture.md, \"Code layout\")")
  endif()
endif()

# Links `target` with lld in cmake/relay.order's order (when the layout is on).
function(relay_apply_code_layout target)
  if(NOT relay_code_layout)
    return()
  endif()
  target_link_options(${target} PRIVATE -fuse-ld=lld
                      "LINKER:--symbol-ordering-file=${RELAY_ORDER_FILE}"
                      "LINKER:--no-warn-symbol-ordering")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${RELAY_ORDER_FILE})
endfunction()
