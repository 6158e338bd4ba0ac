#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/config/diagnostic.hpp"
#include "yaml_tree.hpp"

namespace relay::config::detail {

// "tunnels" + "web" → "tunnels.web".
std::string join_key(std::string_view path, std::string_view key);

// The closest of `candidates` to `word` when it is close enough to be a typo, else "".
std::string closest_match(std::string_view word,
                          std::initializer_list<std::string_view> candidates);

// Typed reads of tree values. Each failure adds a diagnostic at the value (file:line:col, key,
// what was expected, what was found) and returns nullopt, so callers read on and collect every
// problem of the file.
class ValueReader {
 public:
  explicit ValueReader(Diagnostics& diagnostics) : diagnostics_(diagnostics) {}

  // Unknown keys of a map, each with a "did you mean" when one of `known` is close.
  void check_keys(const TreeNode& map, std::string_view path,
                  std::initializer_list<std::string_view> known);

  bool expect_map(const TreeNode& node, std::string_view path, std::string_view what);
  std::optional<std::string> string(const TreeNode& node, std::string_view path);
  std::optional<bool> boolean(const TreeNode& node, std::string_view path);
  std::optional<std::int64_t> integer(const TreeNode& node, std::string_view path, std::int64_t min,
                                      std::int64_t max);
  // "30s", "5m", "1h", "500ms" or a number of seconds.
  std::optional<std::chrono::milliseconds> duration(const TreeNode& node, std::string_view path);
  // "10MiB", "64KiB", "512KB", "1GB" or a number of bytes.
  std::optional<std::uint64_t> size(const TreeNode& node, std::string_view path);
  // A list of strings; a single string is accepted as a list of one.
  std::optional<std::vector<std::string>> string_list(const TreeNode& node, std::string_view path);

  void error(const TreeNode& node, std::string_view path, std::string message);
  void warning(const TreeNode& node, std::string_view path, std::string message);

 private:
  Diagnostics& diagnostics_;
};

}  // namespace relay::config::detail
