#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relay::verify {

// Small, allocation-friendly wrappers over OpenSSL for verifiers. Byte strings are std::string.
enum class HashAlgorithm { sha1, sha256, sha512 };

std::string hmac(HashAlgorithm algorithm, std::string_view key, std::string_view message);
std::string digest(HashAlgorithm algorithm, std::string_view message);

// Constant time in the length of the inputs (CRYPTO_memcmp); different lengths compare unequal.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string hex_encode(std::string_view bytes);  // lowercase
// SHA-256 of `text` as 64 lower-case hex digits: how authtokens are stored and compared.
std::string sha256_hex(std::string_view text);
// True when `text` is 64 lower-case hex digits (a stored SHA-256).
bool is_sha256_hex(std::string_view text);
std::optional<std::string> hex_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);
// Standard alphabet; padding optional. nullopt on any character outside the alphabet.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);  // no padding
std::optional<std::string> base64url_decode(std::string_view text);

// Ed25519 over `message` with a raw 32-byte public key and a 64-byte signature.
bool ed25519_verify(std::string_view public_key, std::string_view message,
                    std::string_view signature);
// True when `spki_der` is a DER SubjectPublicKeyInfo of a P-256 key.
bool is_ec_p256_public_key(std::string_view spki_der);
// ECDSA P-256 / SHA-256 with a DER SubjectPublicKeyInfo key and a DER signature.
bool ecdsa_p256_verify_der(std::string_view spki_der, std::string_view message,
                           std::string_view der_signature);
// ECDSA P-256 / SHA-256 with the affine point (x, y, 32 bytes each) and a JOSE (r||s) signature.
bool ecdsa_p256_verify_jose(std::string_view x, std::string_view y, std::string_view message,
                            std::string_view raw_signature);

// Percent-decoding of application/x-www-form-urlencoded text ('+' is a space).
std::string form_decode(std::string_view text);

}  // namespace relay::verify
