#include "agent/response_head_parser.hpp"

#include <algorithm>

#include <boost/beast/http/error.hpp>

namespace relay::agent {

namespace http = boost::beast::http;

ResponseHeadParser::ResponseHeadParser(std::vector<FieldView> storage)
    : fields_(std::move(storage)) {
  fields_.clear();
  fields_.reserve(kTypicalFields);
  Beast::header_limit(kHeaderLimit);
  Beast::body_limit(boost::none);  // a body is relayed as it comes, never held whole
}

void ResponseHeadParser::skip_body() {
  skip_body_ = true;
  Beast::skip(true);
}

std::size_t ResponseHeadParser::put(boost::asio::const_buffer buffer, error_code& ec) {
  const std::string_view bytes(static_cast<const char*>(buffer.data()), buffer.size());
  if (strict_) return put_strict_body(bytes, ec);
  // Only a head whose first byte Beast has not seen: Beast consumes the fields of a head that
  // came in pieces as they come.
  if (!Beast::got_some() && read_strict_head(bytes)) {
    ec = {};
    return strict_->size;
  }
  input_ = bytes;
  const auto n = Beast::put(buffer, ec);
  if (!Beast::is_header_done()) keep_fields();
  input_ = {};
  return n;
}

bool ResponseHeadParser::read_strict_head(std::string_view bytes) {
  auto head = parse_strict_response_head(bytes, kHeaderLimit, fields_, framing_);
  // Beast's finish_header: these have no body, whatever their fields say.
  const bool no_body = head && (skip_body_ || head->status == 204 || head->status == 304);
  if (!head || (!no_body && !head->content_length)) {  // a body to the connection's end: Beast's
    fields_.clear();
    framing_ = {};
    return false;
  }
  status_ = head->status;
  version_ = head->version;
  strict_body_left_ = no_body ? 0 : *head->content_length;
  strict_ = head;
  return true;
}

std::size_t ResponseHeadParser::put_strict_body(std::string_view bytes, error_code& ec) {
  if (strict_body_left_ == 0) {  // as Beast's put() after the end
    ec = http::error::stale_parser;
    return 0;
  }
  const auto size =
      static_cast<std::size_t>(std::min<std::uint64_t>(strict_body_left_, bytes.size()));
  const auto n = on_body_impl(string_view(bytes.data(), size), ec);
  strict_body_left_ -= n;
  return n;
}

void ResponseHeadParser::put_eof(error_code& ec) {
  if (!strict_) {
    Beast::put_eof(ec);
    return;
  }
  ec = strict_body_left_ == 0 ? error_code{} : error_code(http::error::partial_message);
}

bool ResponseHeadParser::keep_alive() const {
  if (!strict_) return Beast::keep_alive();
  return version_ >= 11 ? !strict_->connection_close : strict_->connection_keep_alive;
}

std::optional<std::uint64_t> ResponseHeadParser::content_length() const {
  if (strict_) return strict_->content_length;
  const auto length = Beast::content_length();
  return length ? std::optional(*length) : std::nullopt;
}

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
