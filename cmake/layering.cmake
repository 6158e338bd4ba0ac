# Fails when a module includes a header of a module it may not depend on (DESIGN.md, STYLE.md
# §3.2), or any private header (src/<module>/...) of another module: a module's private headers
# are its own, even for the modules allowed to use its public ones. Linking cannot catch this:
# every module compiles with src/ as a private include root, so the compiler would accept
# "agent/tunnel_runtime.hpp" in the CLI (issue 13 found exactly that).
# Run as: cmake -DROOT=<source dir> -P cmake/layering.cmake
set(allowed_core    core)
set(allowed_net     core net)
set(allowed_verify  core verify)
set(allowed_inspect core net verify inspect)
set(allowed_store   core store)
set(allowed_edge    core net verify store edge)
set(allowed_agent   core net verify inspect agent)
set(allowed_config  core net verify edge agent config)
set(allowed_cli     core net verify inspect store edge agent config)

set(modules core net verify inspect store edge agent config cli)
list(JOIN modules "|" module_alternatives)

set(violations "")
foreach(module ${modules})
  file(GLOB_RECURSE files ${ROOT}/src/${module}/*.cpp ${ROOT}/src/${module}/*.hpp
                          ${ROOT}/include/relay/${module}/*.hpp)
  foreach(f ${files})
    file(STRINGS ${f} lines
         REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<](relay/[a-z_]+/|(${module_alternatives})/)")
    foreach(line ${lines})
      if(line MATCHES "[\"<](${module_alternatives})/")
        set(owner ${CMAKE_MATCH_1})
        if(owner STREQUAL "cli" AND NOT module STREQUAL "cli")
          list(APPEND violations "${f}: includes the CLI (${line}); nothing includes cli")
        elseif(NOT owner STREQUAL module)
          list(APPEND violations "${f}: includes a private header of '${owner}' (${line}); "
                                 "use its public header under include/relay/${owner}/, or move "
                                 "what is shared there")
        endif()
        continue()
      endif()
      string(REGEX MATCH "relay/([a-z_]+)/" _ ${line})
      set(dep ${CMAKE_MATCH_1})
      list(FIND allowed_${module} ${dep} found)
      if(found EQUAL -1)
        list(APPEND violations "${f}: module '${module}' may not include '${dep}' (${line})")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(JOIN violations "\n" text)
  message(FATAL_ERROR "layering violations:\n${text}")
endif()
message(STATUS "layering: every include follows the module direction")
