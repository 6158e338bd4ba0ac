#include "relay/config/edge_token_store.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "relay/config/text_edit.hpp"

namespace relay::config {

namespace {

struct Line {
  std::string_view text;  // without the newline
  std::size_t begin = 0;  // offset of the line in the file
  std::size_t end = 0;    // offset after its newline
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto newline = text.find('\n', pos);
    const auto end = newline == std::string_view::npos ? text.size() : newline;
    lines.push_back({text.substr(pos, end - pos), pos, std::min(end + 1, text.size())});
    pos = end + 1;
  }
  return lines;
}

std::size_t indent_of(std::string_view line) {
  return std::min(line.find_first_not_of(" \t"), line.size());
}

bool is_blank_or_comment(std::string_view line) {
  const auto first = line.find_first_not_of(" \t\r");
  return first == std::string_view::npos || line[first] == '#';
}

bool is_item_start(std::string_view line) {
  const auto rest = line.substr(indent_of(line));
  return rest == "-" || rest.starts_with("- ") || rest.starts_with("-\r");
}

// The authtokens block: the key line, then its entries (lines indented or starting with '-'),
// not counting blank and comment lines after the last entry (they belong to what follows).
struct Block {
  std::size_t key_line = 0;
  std::size_t first = 0;  // first line after the key
  std::size_t last = 0;   // one past the last content line
  bool found = false;
};

Block find_block(const std::vector<Line>& lines) {
  Block block;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto text = lines[i].text;
    if (text.starts_with("authtokens") &&
        text.substr(10).find_first_not_of(" \t") != std::string_view::npos &&
        text.substr(10)[text.substr(10).find_first_not_of(" \t")] == ':') {
      block.found = true;
      block.key_line = i;
      block.first = block.last = i + 1;
      for (std::size_t j = i + 1; j < lines.size(); ++j) {
        const auto line = lines[j].text;
        if (is_blank_or_comment(line)) continue;
        if (indent_of(line) == 0 && !is_item_start(line)) break;
        block.last = j + 1;
      }
      return block;
    }
  }
  return block;
}

// The value written after `authtokens:` on its own line, without comment: "", "[]", "~", ...
std::string_view inline_value(std::string_view line) {
  auto rest = line.substr(line.find(':') + 1);
  if (const auto hash = rest.find(" #"); hash != std::string_view::npos)
    rest = rest.substr(0, hash);
  const auto first = rest.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  rest = rest.substr(first);
  return rest.substr(0, rest.find_last_not_of(" \t\r") + 1);
}

std::string label_of(std::string_view item_text) {
  try {
    const YAML::Node node = YAML::Load(std::string{item_text});
    if (node.IsSequence() && node.size() == 1 && node[0].IsMap() && node[0]["label"] &&
        node[0]["label"].IsScalar()) {
      return node[0]["label"].Scalar();
    }
  } catch (const YAML::Exception&) {
    // An entry relay cannot read has no label it could match; leave it alone.
  }
  return {};
}

struct Item {
  std::size_t begin_line = 0;
  std::size_t end_line = 0;
  std::string label;
};

std::vector<Item> items_of(std::string_view text, const std::vector<Line>& lines,
                           const Block& block) {
  std::vector<Item> items;
  std::size_t item_indent = std::string_view::npos;
  for (std::size_t i = block.first; i < block.last; ++i) {
    const auto line = lines[i].text;
    if (is_blank_or_comment(line)) continue;
    if (is_item_start(line) &&
        (item_indent == std::string_view::npos || indent_of(line) == item_indent)) {
      item_indent = indent_of(line);
      if (!items.empty()) items.back().end_line = i;
      items.push_back({i, block.last, {}});
    }
  }
  for (auto& item : items) {
    // Comment lines just before the next entry belong to it, not to this one.
    std::size_t end = item.end_line;
    while (end > item.begin_line + 1 && is_blank_or_comment(lines[end - 1].text)) --end;
    item.end_line = end;
    item.label = label_of(text.substr(lines[item.begin_line].begin,
                                      lines[item.end_line - 1].end - lines[item.begin_line].begin));
  }
  return items;
}

std::string entry_text(const edge::AuthToken& token, std::string_view indent) {
  std::string out = std::string{indent} + "- label: " + yaml_quote(token.label) + "\n";
  out += std::string{indent} + "  sha256: " + yaml_quote(token.sha256_hex) + "\n";
  if (!token.reserved_names.empty()) {
    out += std::string{indent} + "  reserved: [";
    for (std::size_t i = 0; i < token.reserved_names.size(); ++i) {
      if (i > 0) out += ", ";
      out += yaml_quote(token.reserved_names[i]);
    }
    out += "]\n";
  }
  return out;
}

}  // namespace

std::string generate_token() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("the system random generator failed; cannot make a token");
  }
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "relay_";
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      out += kAlphabet[(buffer >> (bits - 6)) & 0x3f];
      bits -= 6;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

std::string add_token_entry(std::string_view text, const edge::AuthToken& token) {
  const auto lines = split_lines(text);
  const Block block = find_block(lines);
  std::string out{text};
  if (!block.found) {
    if (!out.empty() && !out.ends_with('\n')) out += '\n';
    out += "authtokens:\n" + entry_text(token, "  ");
    return out;
  }
  const auto& key_line = lines[block.key_line];
  const auto value = inline_value(key_line.text);
  if (!value.empty() && value != "[]" && value != "~" && value != "null") {
    throw std::invalid_argument(
        "authtokens is written on one line (flow style); write it as a list with one '- label:' "
        "entry per token so relay can edit it");
  }
  for (const auto& item : items_of(text, lines, block)) {
    if (item.label == token.label) {
      throw std::invalid_argument("a token labelled '" + token.label +
                                  "' exists already; choose another --label or revoke it first");
    }
  }
  std::string indent = "  ";
  for (std::size_t i = block.first; i < block.last; ++i) {
    if (is_item_start(lines[i].text)) {
      indent = std::string(lines[i].text.substr(0, indent_of(lines[i].text)));
      break;
    }
  }
  const std::size_t insert_at = block.last > block.first ? lines[block.last - 1].end : key_line.end;
  std::string insertion = entry_text(token, indent);
  if (insert_at == out.size() && !out.empty() && !out.ends_with('\n')) insertion = "\n" + insertion;
  out.insert(insert_at, insertion);
  if (!value.empty()) {
    // "authtokens: []" becomes "authtokens:" now that a block entry follows; a comment stays.
    std::string key_text = "authtokens:";
    if (auto hash = key_line.text.find(" #"); hash != std::string_view::npos) {
      while (hash > 0 && key_line.text[hash - 1] == ' ') --hash;
      key_text += key_line.text.substr(hash);
    }
    out.replace(key_line.begin, key_line.text.size(), key_text);
  }
  return out;
}

std::string remove_token_entry(std::string_view text, std::string_view label) {
  const auto lines = split_lines(text);
  const Block block = find_block(lines);
  std::string known;
  if (block.found) {
    for (const auto& item : items_of(text, lines, block)) {
      if (item.label == label) {
        std::string out{text};
        const auto begin = lines[item.begin_line].begin;
        out.erase(begin, lines[item.end_line - 1].end - begin);
        return out;
      }
      if (!item.label.empty()) known += (known.empty() ? "" : ", ") + item.label;
    }
  }
  throw std::invalid_argument("no token labelled '" + std::string{label} +
                              "' (labels: " + (known.empty() ? std::string{"none"} : known) +
                              "); see `relay edge token list`");
}

}  // namespace relay::config
