// The one translation unit that compiles Asio (BOOST_ASIO_SEPARATE_COMPILATION), as Beast's
// test/lib_asio.cpp does. Everything else includes Asio's headers without the implementation.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
