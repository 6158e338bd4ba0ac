#pragma once

#include <boost/system/error_code.hpp>

namespace relay::store {

enum class Errc {
  unavailable = 1,  // the database cannot be read or written (disk full, I/O error, locked)
  full,             // a tunnel's queue holds buffer_max events, or the store its size limit
};

const boost::system::error_category& store_category();

inline boost::system::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), store_category()};
}

}  // namespace relay::store

template <>
struct boost::system::is_error_code_enum<relay::store::Errc> : std::true_type {};
