// The agent's response parser (src/agent/response_head_parser.hpp) against Beast's
// http::response_parser<buffer_body>, which it replaces, over any bytes an app could send: both
// parse the same pieces to the same result (error, status, version, fields in order, framing
// check, keep-alive, body bytes, end). Fed as the exchange feeds them: the input's first byte
// sets the size of the lent body buffer and of the pieces the bytes arrive in, and whether the
// first piece is the whole input (a head that came in one read: the parser's strict path,
// parse_strict_response_head, may read it; Beast reads the others).
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "agent/forward_decisions.hpp"
#include "agent/response_head_parser.hpp"

namespace {

namespace http = boost::beast::http;
using relay::agent::ResponseHeadParser;
using BeastParser = http::response_parser<http::buffer_body>;

struct Outcome {
  std::string error;  // the first error other than need_more / need_buffer
  unsigned status = 0;
  unsigned version = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<std::string> framing_problem;
  bool keep_alive = false;
  std::string body;
  bool done = false;

  bool operator==(const Outcome&) const = default;
};

std::optional<std::uint64_t> length_of(const BeastParser& parser) {
  const auto length = parser.content_length();
  return length ? std::optional(*length) : std::nullopt;
}
std::optional<std::uint64_t> length_of(const ResponseHeadParser& parser) {
  return parser.content_length();
}

// As the agent's exchange sets up its parser (ResponseHeadParser sets these itself).
void configure(BeastParser& parser) {
  parser.header_limit(ResponseHeadParser::kHeaderLimit);
  parser.body_limit(boost::none);
}
void configure(ResponseHeadParser& /*parser*/) {}

void read_head(const BeastParser& parser, Outcome& out) {
  const auto& m = parser.get();
  out.status = m.result_int();
  out.version = m.version();
  for (const auto& f : m) out.fields.emplace_back(f.name_string(), f.value());
  out.framing_problem =
      relay::agent::response_framing_problem(m, m.version(), parser.chunked(), length_of(parser));
}

void read_head(const ResponseHeadParser& parser, Outcome& out) {
  out.status = parser.status();
  out.version = parser.version();
  for (const auto& f : parser.fields()) out.fields.emplace_back(f.name, f.value);
  out.framing_problem = relay::agent::response_framing_problem(parser.framing(), parser.version(),
                                                               parser.chunked(), length_of(parser));
}

void lend(BeastParser& parser, char* data, std::size_t size) {
  parser.get().body().data = data;
  parser.get().body().size = size;
}
std::size_t room(BeastParser& parser) { return parser.get().body().size; }
void lend(ResponseHeadParser& parser, char* data, std::size_t size) {
  parser.lend_body_buffer(data, size);
}
std::size_t room(ResponseHeadParser& parser) { return parser.body_room(); }

template <class Parser>
Outcome parse(std::string_view bytes, std::size_t first_piece, std::size_t piece,
              std::size_t lent) {
  Parser parser;
  configure(parser);
  Outcome out;
  std::string arrived;  // what the connection's buffer holds
  std::string buffer(lent, '\0');
  bool head_read = false;
  for (int step = 0; step < 100000; ++step) {
    if (parser.is_done()) break;
    if (head_read) lend(parser, buffer.data(), lent);
    boost::system::error_code ec;
    const auto used = parser.put(boost::asio::buffer(arrived.data(), arrived.size()), ec);
    if (head_read) out.body.append(buffer.data(), lent - room(parser));
    if (!head_read && parser.is_header_done()) {
      // Before the bytes go: ResponseHeadParser's fields are views of them (the agent maps
      // them before its next read into the connection's buffer, as here).
      head_read = true;
      read_head(parser, out);
      out.keep_alive = parser.keep_alive();
    }
    arrived.erase(0, used);
    if (ec == http::error::need_more || (!ec && used == 0)) {
      if (bytes.empty()) {
        if (parser.got_some()) {
          ec = {};
          parser.put_eof(ec);
          if (ec) out.error = ec.message();
        }
        break;
      }
      const auto take = std::min(std::exchange(first_piece, piece), bytes.size());
      arrived.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      continue;
    }
    if (ec && ec != http::error::need_buffer) {
      out.error = ec.message();
      break;
    }
  }
  out.done = parser.is_done();
  return out;
}

}  // namespace

// Beast's fields container keeps fields of one name together (a repeated name is inserted after
// the last of its kind); ResponseHeadParser keeps the wire's order. Both keep the order within a
// name, which is all HTTP gives meaning to: compare them grouped the same way.
void group_by_name(Outcome& out) {
  std::vector<std::string> first;  // lower-cased names in order of first appearance
  auto rank = [&first](const std::string& name) {
    std::string lower(name);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = std::find(first.begin(), first.end(), lower);
    if (it == first.end()) it = first.insert(first.end(), lower);
    return static_cast<std::size_t>(it - first.begin());
  };
  std::vector<std::pair<std::size_t, std::pair<std::string, std::string>>> ranked;
  for (auto& f : out.fields) ranked.emplace_back(rank(f.first), std::move(f));
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.fields.clear();
  for (auto& r : ranked) out.fields.push_back(std::move(r.second));
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t piece = 1 + data[0] % 32;
  const bool whole_first = (data[0] & 32) != 0;
  const std::size_t lent = 1 + data[0] / 64 * 7;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t first_piece = whole_first ? bytes.size() : piece;
  auto beast = parse<BeastParser>(bytes, first_piece, piece, lent);
  auto ours = parse<ResponseHeadParser>(bytes, first_piece, piece, lent);
  group_by_name(beast);
  group_by_name(ours);
  if (!(beast == ours)) std::abort();
  return 0;
}
