# Runs at install time (cmake --install, cpack), after the binary is copied: strips it, first
# splitting its debug info off when RELAY_KEEP_DEBUG is on. Variables come from the install(CODE)
# before it in CMakeLists.txt; the prefix is the install-time one (cmake --install --prefix).
set(RELAY_BINARY "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${RELAY_BINDIR}/relay")
set(RELAY_DEBUG_FILE "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/debug${CMAKE_INSTALL_PREFIX}/${RELAY_BINDIR}/relay.debug")
if(NOT EXISTS "${RELAY_BINARY}" OR NOT RELAY_STRIP)
  return()
endif()
if(RELAY_KEEP_DEBUG AND RELAY_OBJCOPY)
  get_filename_component(debug_dir "${RELAY_DEBUG_FILE}" DIRECTORY)
  file(MAKE_DIRECTORY "${debug_dir}")
  execute_process(COMMAND "${RELAY_OBJCOPY}" --only-keep-debug "${RELAY_BINARY}" "${RELAY_DEBUG_FILE}"
                  COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${RELAY_STRIP}" --strip-debug --strip-unneeded "${RELAY_BINARY}"
                  COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${RELAY_OBJCOPY}" --add-gnu-debuglink=${RELAY_DEBUG_FILE} "${RELAY_BINARY}"
                  COMMAND_ERROR_IS_FATAL ANY)
  message(STATUS "Split debug info: ${RELAY_DEBUG_FILE}")
else()
  execute_process(COMMAND "${RELAY_STRIP}" --strip-all "${RELAY_BINARY}" COMMAND_ERROR_IS_FATAL ANY)
endif()
file(SIZE "${RELAY_BINARY}" size)
math(EXPR size_mib "${size} / 1048576")
message(STATUS "Stripped: ${RELAY_BINARY} (${size_mib} MiB)")
