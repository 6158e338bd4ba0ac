#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace relay::core {

using boost::system::error_code;

// Hot paths report failure as a value: Result<T> holds a T or an error_code.
template <class T>
using Result = boost::system::result<T, error_code>;

}  // namespace relay::core
