#pragma once

// Runs DeliveryQueue calls to completion on a test's io_context, against the store the test is
// parameterized with ("memory" or "sqlite" in a fresh temporary state directory).
#include <exception>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "relay/store/store.hpp"

namespace relay::store::test {

class QueueTest : public ::testing::TestWithParam<const char*> {
 protected:
  QueueTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("relay-queue-test-" + std::to_string(std::random_device{}())) / "edge") {
    reopen();
  }
  ~QueueTest() override {
    store_.reset();
    std::filesystem::remove_all(dir_.parent_path());
  }

  // An edge restart (the SQLite store); the memory store starts empty.
  void reopen() {
    store_.reset();
    store_ = std::string(GetParam()) == "memory" ? make_memory_store() : open_sqlite_store(dir_);
  }

  Store& store() { return *store_; }
  DeliveryQueue& q() { return store_->deliveries(); }

  // Runs one call to completion.
  template <class T>
  core::Result<T> sync(boost::asio::awaitable<core::Result<T>> op) {
    std::optional<core::Result<T>> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, core::Result<T> r) {
      failure = e;
      if (!e) out.emplace(std::move(r));
    });
    io_.restart();
    io_.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
  }

  // Runs one call that must succeed, and returns its value.
  template <class T>
  T ok(boost::asio::awaitable<core::Result<T>> op) {
    auto r = sync(std::move(op));
    if (r.has_error()) {
      ADD_FAILURE() << "store call failed: " << r.error().message();
      throw std::runtime_error(r.error().message());
    }
    if constexpr (!std::is_void_v<T>) return std::move(*r);
  }

  boost::asio::io_context io_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace relay::store::test
