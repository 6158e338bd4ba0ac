#pragma once

#include <string>
#include <vector>

namespace relay::config {

// Where a value came from: 1-based line and column; 0 when unknown (a missing file).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { error, warning };

// One problem found in a config file: where, which key (dotted path), and what was expected.
struct Diagnostic {
  Severity severity = Severity::error;
  SourceLocation where;
  std::string key;      // "tunnels.web.addr"; empty for file-level problems
  std::string message;  // what was wrong and what to write instead

  // "relay.yml:4:11: error: tunnels.web.addr: expected ..."
  [[nodiscard]] std::string to_string() const;
};

// Every problem of a load, in the order found: validation goes on after the first one so the
// user fixes a file in one pass.
class Diagnostics {
 public:
  void error(SourceLocation where, std::string key, std::string message);
  void warning(SourceLocation where, std::string key, std::string message);

  [[nodiscard]] bool has_errors() const;
  [[nodiscard]] std::size_t error_count() const;
  [[nodiscard]] const std::vector<Diagnostic>& all() const { return items_; }
  // One line per diagnostic, each ending in '\n'.
  [[nodiscard]] std::string to_string() const;
  void append(const Diagnostics& other);
  // Orders by file (in `files` order), line and column, so problems read top to bottom;
  // problems found at one place keep the order they were found in.
  void sort_by_location(const std::vector<std::string>& files);

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace relay::config
