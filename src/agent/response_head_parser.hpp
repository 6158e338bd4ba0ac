#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include "agent/header_mapping.hpp"
#include "relay/net/http1_framing.hpp"

namespace relay::agent {

// The app's HTTP/1.1 response as the agent reads it: Beast's parsing, without Beast's copy of the
// head. http::parser stores every field in its own allocation (copied again into what relay
// passes back); here the fields stay views of the connection's read buffer, mapped once into the
// HTTP/2 response (map_response_headers) before the next read. The framing fields are fed to a
// net::Http1FramingCheck as they are parsed (response_framing_problem). The body goes into the
// buffer the caller lends, as with http::buffer_body: need_buffer once it is full.
class ResponseHeadParser final : public boost::beast::http::basic_parser<false> {
  using string_view = boost::beast::string_view;
  using error_code = boost::beast::error_code;

 public:
  ResponseHeadParser() { fields_.reserve(kTypicalFields); }
  // One for the next response that reuses `storage`, the last one's field vector
  // (take_field_storage): Beast's parsers cannot be reset, and a fresh vector was an allocation
  // (and a free) per response on a kept-alive connection.
  explicit ResponseHeadParser(std::vector<FieldView> storage) : fields_(std::move(storage)) {
    fields_.clear();
    fields_.reserve(kTypicalFields);
  }
  // Gives the field vector away (its views are not to be used after): the next parser's.
  std::vector<FieldView> take_field_storage() { return std::move(fields_); }

  [[nodiscard]] unsigned status() const { return status_; }
  [[nodiscard]] unsigned version() const { return version_; }
  // Views of the bytes the head was parsed from: valid until the connection's buffer is read
  // into again.
  [[nodiscard]] const std::vector<FieldView>& fields() const { return fields_; }
  // Content-Length and Transfer-Encoding, each field in order as it came.
  [[nodiscard]] const net::Http1FramingCheck& framing() const { return framing_; }

  // Beast parses a head field by field as its bytes come, and consumes them: a put() that ends
  // mid-head has handed over fields whose bytes the caller may now drop or move (the next read
  // into the connection's buffer), so their views are copied here. A head that comes in one
  // read (nearly all) keeps its views.
  // Beast hands over a folded value (obs-fold) from a buffer of its own, and a multi-buffer
  // input from a copy: on_field_impl copies what is not a view of the caller's one buffer.
  template <class ConstBufferSequence>
  std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
    input_ = {};
    // A pointer for a single buffer, an iterator class for a sequence: no `const auto*` here.
    // NOLINTBEGIN(readability-qualified-auto)
    auto it = boost::asio::buffer_sequence_begin(buffers);
    const auto end = boost::asio::buffer_sequence_end(buffers);
    // NOLINTEND(readability-qualified-auto)
    if (it != end && std::next(it) == end) {
      const boost::asio::const_buffer one(*it);
      input_ = {static_cast<const char*>(one.data()), one.size()};
    }
    const auto n = basic_parser<false>::put(buffers, ec);
    if (!is_header_done()) keep_fields();
    input_ = {};
    return n;
  }

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

  std::string_view input_;  // the buffer put() is parsing, when it is one buffer

  std::vector<FieldView> fields_;
  // The copies keep_fields() made: a list, as they must never move (fields_ views them), and
  // an empty list allocates nothing. A deque allocated its map and a first block in every
  // parser, i.e. for every response, though a head is nearly always parsed from one read.
  std::list<std::string> kept_;
  std::size_t kept_fields_ = 0;  // fields_ before this one are copies already
  net::Http1FramingCheck framing_;
  unsigned status_ = 0;
  unsigned version_ = 0;
  char* body_ = nullptr;
  std::size_t body_room_ = 0;
};

}  // namespace relay::agent
