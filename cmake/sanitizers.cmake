# RELAY_SANITIZE=address;undefined  or  RELAY_SANITIZE=thread
if(RELAY_SANITIZE)
  string(REPLACE ";" "," _relay_san "${RELAY_SANITIZE}")
  add_compile_options(-fsanitize=${_relay_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_relay_san})
  # clang 14 cannot emit -fsanitize=function checks for coroutine frames ("Cannot represent a
  # difference across sections"). That check (a call through a function pointer of the wrong
  # type) is one GCC's UBSan does not have either; every other UBSan check stays on.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND "undefined" IN_LIST RELAY_SANITIZE)
    add_compile_options(-fno-sanitize=function)
  endif()
endif()
# RELAY_FUZZ: the libraries get libFuzzer's coverage instrumentation (harmless outside a fuzz
# target), so a sanitized clang build also builds the fuzz targets and CI compiles once.
if(RELAY_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
