#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include "agent/header_mapping.hpp"
#include "agent/strict_response_head.hpp"
#include "relay/net/http1_framing.hpp"

namespace relay::agent {

// The app's HTTP/1.1 response as the agent reads it. A head in the common shape that came whole
// in one read is parsed by parse_strict_response_head, and its body (Content-Length) counted
// here; any other head, and its body, is Beast's to parse. Either way without Beast's copy of the
// head: http::parser stores every field in its own allocation (copied again into what relay
// passes back); here the fields stay views of the connection's read buffer, mapped once into the
// HTTP/2 response (map_response_headers) before the next read. The framing fields are fed to a
// net::Http1FramingCheck as they are parsed (response_framing_problem). The body goes into the
// buffer the caller lends, as with http::buffer_body: need_buffer once it is full.
// The members mean what basic_parser's of the same names mean, whichever path parsed.
class ResponseHeadParser final : private boost::beast::http::basic_parser<false> {
  using string_view = boost::beast::string_view;
  using error_code = boost::beast::error_code;
  using Beast = boost::beast::http::basic_parser<false>;

 public:
  // A head larger than this is an error (Beast's header_limit).
  static constexpr std::size_t kHeaderLimit = 64 * 1024;

  ResponseHeadParser() : ResponseHeadParser(std::vector<FieldView>{}) {}
  // One for the next response that reuses `storage`, the last one's field vector
  // (take_field_storage): Beast's parsers cannot be reset, and a fresh vector was an allocation
  // (and a free) per response on a kept-alive connection.
  explicit ResponseHeadParser(std::vector<FieldView> storage);
  // Gives the field vector away (its views are not to be used after): the next parser's.
  std::vector<FieldView> take_field_storage() { return std::move(fields_); }

  // The answer to a HEAD request: no body, whatever the head says. Before the first put().
  void skip_body();

  // Beast parses a head field by field as its bytes come, and consumes them: a put() that ends
  // mid-head has handed over fields whose bytes the caller may now drop or move (the next read
  // into the connection's buffer), so their views are copied here. A head that comes in one
  // read (nearly all) keeps its views.
  // Beast hands over a folded value (obs-fold) from a buffer of its own: on_field_impl copies
  // what is not a view of `buffer`.
  std::size_t put(boost::asio::const_buffer buffer, error_code& ec);
  // The connection ended: the end of a body that runs to it, or a cut message.
  void put_eof(error_code& ec);

  [[nodiscard]] bool got_some() const { return strict_ || Beast::got_some(); }
  [[nodiscard]] bool is_header_done() const { return strict_ || Beast::is_header_done(); }
  [[nodiscard]] bool is_done() const { return strict_ ? strict_body_left_ == 0 : Beast::is_done(); }
  [[nodiscard]] bool chunked() const { return !strict_ && Beast::chunked(); }
  [[nodiscard]] bool keep_alive() const;
  [[nodiscard]] std::optional<std::uint64_t> content_length() const;
  // Whether parse_strict_response_head read the head (tests: the common shape must take it).
  [[nodiscard]] bool head_read_strictly() const { return strict_.has_value(); }

  [[nodiscard]] unsigned status() const { return status_; }
  [[nodiscard]] unsigned version() const { return version_; }
  // Views of the bytes the head was parsed from: valid until the connection's buffer is read
  // into again.
  [[nodiscard]] const std::vector<FieldView>& fields() const { return fields_; }
  // Content-Length and Transfer-Encoding, each field in order as it came.
  [[nodiscard]] const net::Http1FramingCheck& framing() const { return framing_; }

  // Where the next body bytes go.
  void lend_body_buffer(char* data, std::size_t size) {
    body_ = data;
    body_room_ = size;
  }
  // What is left of the lent buffer.
  [[nodiscard]] std::size_t body_room() const { return body_room_; }

 private:
  // Fields a response usually has (an nginx "ok" has 5, a framework's a dozen).
  static constexpr std::size_t kTypicalFields = 16;

  // The head of the response's first bytes, when parse_strict_response_head reads it and it
  // says where the body ends without the connection's end (Beast's only then).
  bool read_strict_head(std::string_view bytes);
  // The body after a strict head: as Beast's parse_body, Content-Length bytes at most.
  std::size_t put_strict_body(std::string_view bytes, error_code& ec);

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}  // a response parser: never called
  void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override { ec = {}; }
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override { ec = {}; }

  // Copies the views of fields_ (from kept_fields_ on) that point into input_: the others are
  // copies already (on_field_impl).
  void keep_fields();
  [[nodiscard]] bool in_input(std::string_view bytes) const;
  std::string_view keep(std::string_view bytes) { return kept_.emplace_back(bytes); }

  std::string_view input_;  // the buffer put() is parsing

  std::vector<FieldView> fields_;
  // The copies keep_fields() made: a list, as they must never move (fields_ views them), and
  // an empty list allocates nothing. A deque allocated its map and a first block in every
  // parser, i.e. for every response, though a head is nearly always parsed from one read.
  std::list<std::string> kept_;
  std::size_t kept_fields_ = 0;  // fields_ before this one are copies already
  net::Http1FramingCheck framing_;
  unsigned status_ = 0;
  unsigned version_ = 0;
  bool skip_body_ = false;
  std::optional<StrictResponseHead> strict_;  // set when the strict path read the head
  std::uint64_t strict_body_left_ = 0;
  char* body_ = nullptr;
  std::size_t body_room_ = 0;
};

}  // namespace relay::agent
