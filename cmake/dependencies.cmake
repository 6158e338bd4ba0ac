# Every dependency comes from a Debian 12 package (scripts/install-deps.sh).
find_package(Boost 1.81 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2)
# cluster: hiredis only encodes and decodes RESP; the edge's Redis client does its own I/O.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)

# data path: mimalloc replaces malloc/free process-wide (linked into relay_core, so every binary
# gets it): 6% of the edge's and 11% of the agent's instructions per request (bench/README.md).
# Not under sanitizers or libFuzzer, which bring their own allocator. Optional: without the
# package relay builds with glibc's allocator.
option(RELAY_MIMALLOC "Link mimalloc as the process allocator when found" ON)
if(RELAY_MIMALLOC AND NOT RELAY_SANITIZE AND NOT RELAY_FUZZ)
  find_package(mimalloc 2 QUIET)
  if(NOT mimalloc_FOUND)
    message(STATUS "mimalloc not found (apt-get install libmimalloc-dev): glibc's allocator")
  endif()
endif()

add_library(relay_deps_boost INTERFACE)
target_link_libraries(relay_deps_boost INTERFACE Boost::headers Threads::Threads OpenSSL::SSL)
target_compile_definitions(relay_deps_boost INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_COROUTINE
  # Coroutine frames and handlers recycled per thread: one block per purpose. Asio scans the
  # slots for a block big enough on every allocation and for a free slot on every release; with
  # 16 (and frames of many sizes) the scans cost ~2k instructions per request on the edge, 1.5k
  # in the agent, more than the mimalloc calls they saved (bench/README.md, session 16).
  BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=1
  # In a Debug build a failed BOOST_ASSERT goes to src/boost_assert_handler.cpp (one assertion of
  # Beast 1.81 is wrong); the other build types define NDEBUG and compile it out.
  $<$<CONFIG:Debug>:BOOST_ENABLE_ASSERT_DEBUG_HANDLER>)
