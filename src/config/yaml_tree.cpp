#include "yaml_tree.hpp"

#include <map>

namespace relay::config::detail {

SourceLocation location_of(const ConfigSource& source, const YAML::Mark& mark) {
  if (mark.is_null()) return {source.name, 0, 0};
  return {source.name, mark.line + 1, mark.column + 1};
}

SourceLocation TreeNode::at() const {
  return source ? location_of(*source, yaml.Mark()) : SourceLocation{};
}

const TreeNode* TreeNode::find(std::string_view key) const {
  for (const auto& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

namespace {

TreeNode build(const YAML::Node& yaml, const std::shared_ptr<const ConfigSource>& source,
               const std::string& path, Diagnostics& diagnostics) {
  TreeNode node{source, yaml, {}};
  if (!yaml.IsMap()) return node;
  std::map<std::string, SourceLocation> seen;
  for (auto it = yaml.begin(); it != yaml.end(); ++it) {
    const SourceLocation key_at = location_of(*source, it->first.Mark());
    if (!it->first.IsScalar()) {
      diagnostics.error(key_at, "", "a key must be a plain name, got " + describe(it->first));
      continue;
    }
    const std::string key = it->first.Scalar();
    const std::string key_path = path.empty() ? key : path + "." + key;
    if (auto [first, inserted] = seen.emplace(key, key_at); !inserted) {
      // yaml-cpp keeps both pairs; YAML says keys are unique, so the second one is an error.
      const std::string line = std::to_string(first->second.line);
      diagnostics.error(key_at, key_path,
                        path == "tunnels"
                            ? "duplicate tunnel name '" + key + "' (first defined at line " + line +
                                  "); give each tunnel its own name"
                            : "duplicate key (first defined at line " + line + "); keep only one");
      continue;
    }
    node.entries.push_back({key, key_at, build(it->second, source, key_path, diagnostics)});
  }
  return node;
}

}  // namespace

TreeNode make_tree(const YAML::Node& yaml, const std::shared_ptr<const ConfigSource>& source,
                   const std::string& path, Diagnostics& diagnostics) {
  return build(yaml, source, path, diagnostics);
}

std::optional<TreeNode> parse_tree(const std::shared_ptr<const ConfigSource>& source,
                                   Diagnostics& diagnostics) {
  YAML::Node root;
  try {
    root = YAML::Load(source->text);
  } catch (const YAML::Exception& e) {
    diagnostics.error(location_of(*source, e.mark), "", "not valid YAML: " + e.msg);
    return std::nullopt;
  }
  if (root.IsNull() || !root.IsDefined()) {
    return TreeNode{source, YAML::Node{YAML::NodeType::Map}, {}};
  }
  if (!root.IsMap()) {
    diagnostics.error(
        location_of(*source, root.Mark()), "",
        "expected a map of settings (key: value lines) at the top level, got " + describe(root));
    return std::nullopt;
  }
  return build(root, source, "", diagnostics);
}

void merge_into(TreeNode& base, const TreeNode& overlay) {
  if (!base.is_map() || !overlay.is_map()) {
    base = overlay;
    return;
  }
  for (const auto& entry : overlay.entries) {
    bool merged = false;
    for (auto& existing : base.entries) {
      if (existing.key == entry.key) {
        merge_into(existing.value, entry.value);
        existing.key_at = entry.key_at;
        merged = true;
        break;
      }
    }
    if (!merged) base.entries.push_back(entry);
  }
}

std::optional<TreeNode> parse_merged(
    const std::vector<std::shared_ptr<const ConfigSource>>& sources, Diagnostics& diagnostics) {
  std::optional<TreeNode> merged;
  for (const auto& source : sources) {
    auto tree = parse_tree(source, diagnostics);
    if (!tree) continue;
    if (!merged) {
      merged = std::move(*tree);
    } else {
      merge_into(*merged, *tree);
    }
  }
  return merged;
}

void sort_by_sources(Diagnostics& diagnostics,
                     const std::vector<std::shared_ptr<const ConfigSource>>& sources) {
  std::vector<std::string> names;
  names.reserve(sources.size());
  for (const auto& source : sources) names.push_back(source->name);
  diagnostics.sort_by_location(names);
}

}  // namespace relay::config::detail
