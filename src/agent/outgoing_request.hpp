#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <boost/asio/buffer.hpp>

#include "agent/header_mapping.hpp"

namespace relay::agent {

// Request bytes waiting for one write, in order: each piece is a view of bytes that outlive the
// write (the head, a buffered body) or a string it owns (a chunk read from the tunnel, chunked
// framing). Writing them gathered (writev) instead of appending them into one string saves a copy
// of every body byte that arrives while a write is being put together.
class OutgoingRequest {
 public:
  // Room for a chunked write (head, size line, chunk, CRLF, last chunk) from the start: grown one
  // piece at a time, the vectors were reallocated twice for a webhook's head and body.
  OutgoingRequest() {
    pieces_.reserve(kTypicalPieces);
    buffers_.reserve(kTypicalPieces);
  }

  bool empty() const { return bytes_ == 0; }
  std::size_t bytes() const { return bytes_; }

  void add_view(std::string_view data) {
    if (data.empty()) return;
    pieces_.push_back(Piece{{}, data});
    bytes_ += data.size();
  }
  void add_owned(std::string&& data) {
    if (data.empty()) return;
    bytes_ += data.size();
    pieces_.push_back(Piece{std::move(data), {}});
  }
  void add_body(std::string_view data, BodyFraming framing) {
    if (framing == BodyFraming::chunked) {
      if (data.empty()) return;  // an empty chunk would end the body
      add_owned(fmt::format("{:x}\r\n", data.size()));
      add_view(data);
      add_view("\r\n");
    } else {
      add_view(data);
    }
  }
  // Takes the chunk's buffer; the spare one (a buffer written before, capacity kept) is swapped
  // back into it for the next read.
  void add_body(std::string& chunk, BodyFraming framing) {
    if (chunk.size() < kLargeBuffer && chunk.capacity() >= kLargeBuffer) {
      add_small(chunk, framing);
      chunk.clear();
      return;
    }
    if (framing == BodyFraming::chunked) {
      if (chunk.empty()) return;
      add_owned(fmt::format("{:x}\r\n", chunk.size()));
      add_owned(std::move(chunk));
      add_view("\r\n");
    } else {
      add_owned(std::move(chunk));
    }
    chunk.clear();
    chunk.swap(spare_);
  }
  void add_end(BodyFraming framing) {
    if (framing == BodyFraming::chunked) add_view("0\r\n\r\n");
  }

  // Built after the last add: moving a short string in pieces_ moves its bytes.
  const std::vector<boost::asio::const_buffer>& buffers() {
    buffers_.clear();
    for (auto& p : pieces_) {
      auto v = p.view.data() ? p.view : std::string_view(p.owned);
      buffers_.emplace_back(v.data(), v.size());
    }
    return buffers_;
  }
  // One string, for streams that would write a gathered sequence one piece at a time (TLS).
  std::string flatten() const {
    std::string all;
    all.reserve(bytes_);
    for (const auto& p : pieces_) all.append(p.view.data() ? p.view : std::string_view(p.owned));
    return all;
  }
  void clear() {
    // One spare is what the next read takes. Four had kept the capacity of an upload's largest
    // chunks: ~1 MiB more in an agent with four 1 MiB uploads in flight, for the same
    // instructions per MiB.
    for (auto& p : pieces_) {
      if (p.owned.capacity() >= kLargeBuffer && spare_.capacity() < kLargeBuffer) {
        spare_ = std::move(p.owned);
      }
    }
    pieces_.clear();
    bytes_ = 0;
  }

 private:
  static constexpr std::size_t kTypicalPieces = 6;
  // A buffer worth keeping for the next read: the one spare is one of these, and a chunk of
  // fewer bytes that sits in one is copied instead (add_small), so the buffer stays in use.
  static constexpr std::size_t kLargeBuffer = 4096;
  struct Piece {
    std::string owned;
    std::string_view view;
  };

  // A few bytes in a large buffer (the tail of a DATA frame cut by a TLS record): copied, so that
  // the buffer goes back to the reader instead of waiting, nearly empty, for this write.
  void add_small(std::string_view data, BodyFraming framing) {
    if (framing == BodyFraming::chunked) {
      if (data.empty()) return;
      add_owned(fmt::format("{:x}\r\n{}\r\n", data.size(), data));
      return;
    }
    if (!pieces_.empty() && pieces_.back().view.data() == nullptr &&
        pieces_.back().owned.capacity() - pieces_.back().owned.size() >= data.size()) {
      pieces_.back().owned.append(data);
      bytes_ += data.size();
      return;
    }
    add_owned(std::string(data));
  }

  std::vector<Piece> pieces_;
  std::vector<boost::asio::const_buffer> buffers_;
  std::string spare_;
  std::size_t bytes_ = 0;
};

}  // namespace relay::agent
