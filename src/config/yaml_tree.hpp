#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "relay/config/config_source.hpp"
#include "relay/config/diagnostic.hpp"

namespace relay::config::detail {

// A YAML node that remembers which file it came from. Maps are kept as ordered entries so
// that several files can be merged key by key while every value keeps its own file:line:col.
// NOLINTNEXTLINE(bugprone-exception-escape): YAML::Node's assignment is not noexcept.
struct TreeNode {
  struct Entry;

  std::shared_ptr<const ConfigSource> source;
  YAML::Node yaml;
  std::vector<Entry> entries;  // maps only, in file order

  [[nodiscard]] bool is_map() const { return yaml.IsMap(); }
  [[nodiscard]] SourceLocation at() const;
  [[nodiscard]] const TreeNode* find(std::string_view key) const;
};

struct TreeNode::Entry {
  std::string key;
  SourceLocation key_at;
  TreeNode value;
};

// "a map", "a list", "the string 'x'", "nothing": for "expected X, got Y" messages.
std::string describe(const YAML::Node& node);

SourceLocation location_of(const ConfigSource& source, const YAML::Mark& mark);

// Parses one source; syntax errors and duplicate keys go to `diagnostics`. An empty file is an
// empty map. nullopt when the text is not YAML or its top level is not a map.
std::optional<TreeNode> parse_tree(const std::shared_ptr<const ConfigSource>& source,
                                   Diagnostics& diagnostics);

// A tree for a node found inside a list (lists are not split into entries by parse_tree).
TreeNode make_tree(const YAML::Node& yaml, const std::shared_ptr<const ConfigSource>& source,
                   const std::string& path, Diagnostics& diagnostics);

// Later files override earlier ones key by key: maps merge recursively, anything else replaces.
void merge_into(TreeNode& base, const TreeNode& overlay);

// Parses every source and merges them in order (later files override earlier ones); nullopt when
// none parsed. Problems go to `diagnostics`.
std::optional<TreeNode> parse_merged(
    const std::vector<std::shared_ptr<const ConfigSource>>& sources, Diagnostics& diagnostics);

// Diagnostics in the order of the files given, then by line and column.
void sort_by_sources(Diagnostics& diagnostics,
                     const std::vector<std::shared_ptr<const ConfigSource>>& sources);

}  // namespace relay::config::detail
