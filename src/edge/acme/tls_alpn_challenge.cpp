#include "edge/acme/tls_alpn_challenge.hpp"

#include <array>
#include <memory>
#include <stdexcept>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace relay::edge::acme {

namespace {

// id-pe-acmeIdentifier (RFC 8737 §6.1).
constexpr const char* kAcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

[[noreturn]] void fail(const char* what) {
  std::array<char, 256> buf{};
  ERR_error_string_n(ERR_get_error(), buf.data(), buf.size());
  throw std::runtime_error(std::string("cannot make the TLS-ALPN-01 certificate (") + what +
                           "): " + buf.data());
}

std::string pem_of(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(n)};
}

}  // namespace

net::CertificatePem make_tls_alpn_certificate(const std::string& host,
                                              const std::string& key_authorization) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) fail("key");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());

  const std::string san = "DNS:" + host;
  X509_EXTENSION* alt = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str());
  if (alt == nullptr) fail("subjectAltName");
  X509_add_ext(cert.get(), alt, -1);
  X509_EXTENSION_free(alt);

  // The extension's value is the DER of an OCTET STRING holding the 32-byte digest.
  std::array<unsigned char, 2 + SHA256_DIGEST_LENGTH> der{0x04, SHA256_DIGEST_LENGTH};
  SHA256(reinterpret_cast<const unsigned char*>(key_authorization.data()), key_authorization.size(),
         der.data() + 2);
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(OBJ_txt2obj(kAcmeIdentifierOid, 1),
                                                                ASN1_OBJECT_free);
  std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)> value(
      ASN1_OCTET_STRING_new(), ASN1_OCTET_STRING_free);
  if (!oid || !value || ASN1_OCTET_STRING_set(value.get(), der.data(), der.size()) != 1) {
    fail("acmeIdentifier");
  }
  X509_EXTENSION* id = X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get());
  if (id == nullptr) fail("acmeIdentifier");
  X509_add_ext(cert.get(), id, -1);
  X509_EXTENSION_free(id);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("signature");

  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new(BIO_s_mem()), BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {pem_of(cert_bio.get()), pem_of(key_bio.get())};
}

bool offers_acme_tls(const unsigned char* extension, std::size_t size) {
  if (extension == nullptr || size < 2) return false;
  const std::size_t list = (std::size_t{extension[0]} << 8) | extension[1];
  if (list != size - 2) return false;
  for (std::size_t at = 2; at < size;) {
    const std::size_t length = extension[at];
    ++at;
    if (length == 0 || length > size - at) return false;
    if (std::string_view(reinterpret_cast<const char*>(extension + at), length) == kAcmeTlsAlpn) {
      return true;
    }
    at += length;
  }
  return false;
}

bool negotiated_acme_tls(const SSL* ssl) {
  const unsigned char* selected = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(ssl, &selected, &size);
  return selected != nullptr &&
         std::string_view(reinterpret_cast<const char*>(selected), size) == kAcmeTlsAlpn;
}

}  // namespace relay::edge::acme
