#include "relay/config/diagnostic.hpp"

#include <algorithm>
#include <tuple>

namespace relay::config {

std::string Diagnostic::to_string() const {
  std::string out = where.file;
  if (where.line > 0) {
    out += ':' + std::to_string(where.line) + ':' + std::to_string(where.column);
  }
  out += severity == Severity::error ? ": error: " : ": warning: ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

void Diagnostics::error(SourceLocation where, std::string key, std::string message) {
  items_.push_back({Severity::error, std::move(where), std::move(key), std::move(message)});
}

void Diagnostics::warning(SourceLocation where, std::string key, std::string message) {
  items_.push_back({Severity::warning, std::move(where), std::move(key), std::move(message)});
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::string Diagnostics::to_string() const {
  std::string out;
  for (const auto& item : items_) out += item.to_string() + '\n';
  return out;
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

void Diagnostics::sort_by_location(const std::vector<std::string>& files) {
  auto rank = [&files](const Diagnostic& d) {
    const auto it = std::find(files.begin(), files.end(), d.where.file);
    return std::make_tuple(it - files.begin(), d.where.line, d.where.column);
  };
  std::stable_sort(items_.begin(), items_.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return rank(a) < rank(b); });
}

}  // namespace relay::config
