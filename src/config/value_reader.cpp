#include "value_reader.hpp"

#include "relay/config/byte_size.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "relay/config/buffer_settings.hpp"

namespace relay::config::detail {

std::string join_key(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string{key};
  std::string out{path};
  out += '.';
  out += key;
  return out;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string lower(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (auto word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::string closest_match(std::string_view word,
                          std::initializer_list<std::string_view> candidates) {
  const std::string needle = lower(word);
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (auto candidate : candidates) {
    const std::size_t distance = edit_distance(needle, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  // A third of the word, at least 1 and at most 3 edits: catches "adr", "verfy_webhook",
  // "inspect-addr" without suggesting unrelated keys.
  const std::size_t allowed = std::clamp<std::size_t>(needle.size() / 3, 1, 3);
  return best_distance <= allowed ? best : std::string{};
}

void ValueReader::check_keys(const TreeNode& map, std::string_view path,
                             std::initializer_list<std::string_view> known) {
  for (const auto& entry : map.entries) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) continue;
    std::string message = "unknown key '" + entry.key + "'";
    if (auto suggestion = closest_match(entry.key, known); !suggestion.empty()) {
      message += "; did you mean '" + suggestion + "'?";
    } else {
      message += "; expected one of: " + join(known);
    }
    diagnostics_.error(entry.key_at, join_key(path, entry.key), std::move(message));
  }
}

void ValueReader::error(const TreeNode& node, std::string_view path, std::string message) {
  diagnostics_.error(node.at(), std::string{path}, std::move(message));
}

void ValueReader::warning(const TreeNode& node, std::string_view path, std::string message) {
  diagnostics_.warning(node.at(), std::string{path}, std::move(message));
}

bool ValueReader::expect_map(const TreeNode& node, std::string_view path, std::string_view what) {
  if (node.is_map()) return true;
  error(node, path, "expected " + std::string{what} + ", got " + describe(node.yaml));
  return false;
}

std::optional<std::string> ValueReader::string(const TreeNode& node, std::string_view path) {
  if (node.yaml.IsScalar()) return node.yaml.Scalar();
  error(node, path, "expected a string, got " + describe(node.yaml));
  return std::nullopt;
}

std::optional<bool> ValueReader::boolean(const TreeNode& node, std::string_view path) {
  if (node.yaml.IsScalar()) {
    const std::string value = lower(node.yaml.Scalar());
    if (value == "true" || value == "yes" || value == "on") return true;
    if (value == "false" || value == "no" || value == "off") return false;
  }
  error(node, path, "expected true or false, got " + describe(node.yaml));
  return std::nullopt;
}

std::optional<std::int64_t> ValueReader::integer(const TreeNode& node, std::string_view path,
                                                 std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  if (node.yaml.IsScalar()) {
    const std::string& text = node.yaml.Scalar();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && end == text.data() + text.size() && !text.empty() && value >= min &&
        value <= max) {
      return value;
    }
  }
  error(node, path,
        "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
            ", got " + describe(node.yaml));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ValueReader::duration(const TreeNode& node,
                                                               std::string_view path) {
  if (node.yaml.IsScalar()) {
    if (auto value = parse_duration(node.yaml.Scalar())) return value;
  }
  error(node, path, "expected a duration such as 30s, 5m, 1h or 500ms, got " + describe(node.yaml));
  return std::nullopt;
}

std::optional<std::uint64_t> ValueReader::size(const TreeNode& node, std::string_view path) {
  if (node.yaml.IsScalar()) {
    if (auto bytes = parse_byte_size(node.yaml.Scalar())) return bytes;
  }
  error(node, path, "expected a size such as 10MiB, 64KiB or 1048576, got " + describe(node.yaml));
  return std::nullopt;
}

std::optional<std::vector<std::string>> ValueReader::string_list(const TreeNode& node,
                                                                 std::string_view path) {
  if (node.yaml.IsScalar()) return std::vector<std::string>{node.yaml.Scalar()};
  if (node.yaml.IsNull()) return std::vector<std::string>{};
  if (!node.yaml.IsSequence()) {
    error(node, path, "expected a list of strings, got " + describe(node.yaml));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  std::size_t index = 0;
  for (const auto& item : node.yaml) {
    if (item.IsScalar()) {
      out.push_back(item.Scalar());
    } else {
      diagnostics_.error(location_of(*node.source, item.Mark()),
                         std::string{path} + "[" + std::to_string(index) + "]",
                         "expected a string, got " + describe(item));
      ok = false;
    }
    ++index;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace relay::config::detail

namespace relay::config {

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const auto number = detail::parse_number(text.substr(0, digits));
  std::string unit = detail::lower(text.substr(digits));
  if (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "b") factor = 1;
  if (unit == "kb") factor = 1000;
  if (unit == "kib" || unit == "k") factor = 1024;
  if (unit == "mb") factor = 1000 * 1000;
  if (unit == "mib" || unit == "m") factor = 1024 * 1024;
  if (unit == "gb") factor = 1000 * 1000 * 1000;
  if (unit == "gib" || unit == "g") factor = 1024ULL * 1024 * 1024;
  if (number && factor != 0 && *number <= (1ULL << 40)) return *number * factor;
  return std::nullopt;
}

}  // namespace relay::config
