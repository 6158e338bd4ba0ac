#include "agent/response_head_parser.hpp"

#include <algorithm>

#include <boost/beast/http/error.hpp>

namespace relay::agent {

namespace http = boost::beast::http;

void ResponseHeadParser::on_response_impl(int code, string_view /*reason*/, int version,
                                          error_code& ec) {
  status_ = static_cast<unsigned>(code);
  version_ = static_cast<unsigned>(version);
  ec = {};
}

void ResponseHeadParser::on_field_impl(http::field name, string_view name_string, string_view value,
                                       error_code& ec) {
  ec = {};
  // Trailers (after a chunked body) come here too: relay does not pass them on.
  if (is_header_done()) return;
  std::string_view name_view(name_string.data(), name_string.size());
  std::string_view value_view(value.data(), value.size());
  fields_.push_back({in_input(name_view) ? name_view : keep(name_view),
                     in_input(value_view) ? value_view : keep(value_view)});
  // Beast already knows each field's name (matched case-insensitively, as the check would): only
  // the two framing fields are handed over, not every field to be compared twice.
  if (name == http::field::content_length || name == http::field::transfer_encoding) {
    framing_.add(name_string, value);
  }
}

bool ResponseHeadParser::in_input(std::string_view bytes) const {
  const auto at = reinterpret_cast<std::uintptr_t>(bytes.data());
  const auto begin = reinterpret_cast<std::uintptr_t>(input_.data());
  return bytes.empty() || (at >= begin && at + bytes.size() <= begin + input_.size());
}

void ResponseHeadParser::keep_fields() {
  for (; kept_fields_ < fields_.size(); ++kept_fields_) {
    auto& field = fields_[kept_fields_];
    if (!field.name.empty() && in_input(field.name)) field.name = keep(field.name);
    if (!field.value.empty() && in_input(field.value)) field.value = keep(field.value);
  }
}

void ResponseHeadParser::on_body_init_impl(const boost::optional<std::uint64_t>& /*length*/,
                                           error_code& ec) {
  ec = {};
}

// As http::buffer_body's reader: into the lent buffer, need_buffer when it cannot take it all.
std::size_t ResponseHeadParser::on_body_impl(string_view body, error_code& ec) {
  if (body_ == nullptr) {
    ec = http::error::need_buffer;
    return 0;
  }
  const std::size_t n = std::min(body_room_, body.size());
  std::copy_n(body.data(), n, body_);
  body_ += n;
  body_room_ -= n;
  ec = n == body.size() ? error_code{} : error_code(http::error::need_buffer);
  return n;
}

void ResponseHeadParser::on_chunk_header_impl(std::uint64_t /*size*/, string_view /*extensions*/,
                                              error_code& /*ec*/) {}

std::size_t ResponseHeadParser::on_chunk_body_impl(std::uint64_t /*remain*/, string_view body,
                                                   error_code& ec) {
  return on_body_impl(body, ec);
}

}  // namespace relay::agent
