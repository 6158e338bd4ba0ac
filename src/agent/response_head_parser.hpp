#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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

  std::vector<FieldView> fields_;
  net::Http1FramingCheck framing_;
  unsigned status_ = 0;
  unsigned version_ = 0;
  char* body_ = nullptr;
  std::size_t body_room_ = 0;
};

}  // namespace relay::agent
