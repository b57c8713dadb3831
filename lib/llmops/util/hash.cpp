#include <llmops/util/hash.hpp>

#include <array>
#include <cstdint>
#include <stdexcept>

#include <openssl/evp.h>

namespace llmops::util {

namespace {

std::string to_hex(const unsigned char* digest, unsigned int length) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 0x0F];
    }
    return out;
}

} // namespace

std::string sha256_hex(std::string_view data) {
    const std::string digest = sha256_digest(data);
    return to_hex(reinterpret_cast<const unsigned char*>(digest.data()),
                  static_cast<unsigned int>(digest.size()));
}

std::string sha256_digest(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // EVP_Digest only fails on allocation failure; that is not a user error.
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 computation failed");
    }
    return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char k_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    auto byte = [&](size_t at) {
        return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at]));
    };
    size_t i = 0;
    // Three bytes make four characters; a last group of one or two bytes is padded with '='.
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += k_alphabet[group >> 18 & 0x3F];
        out += k_alphabet[group >> 12 & 0x3F];
        out += k_alphabet[group >> 6 & 0x3F];
        out += k_alphabet[group & 0x3F];
    }
    const size_t rest = bytes.size() - i;
    if (rest > 0) {
        const uint32_t group = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
        out += k_alphabet[group >> 18 & 0x3F];
        out += k_alphabet[group >> 12 & 0x3F];
        out += rest == 2 ? k_alphabet[group >> 6 & 0x3F] : '=';
        out += '=';
    }
    return out;
}

struct Sha256::State {
    EVP_MD_CTX* ctx = nullptr;
    ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_state(std::make_unique<State>()) {
    m_state->ctx = EVP_MD_CTX_new();
    if (m_state->ctx == nullptr || EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 initialisation failed");
    }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view data) {
    if (EVP_DigestUpdate(m_state->ctx, data.data(), data.size()) != 1) {
        throw std::runtime_error("SHA-256 computation failed");
    }
}

std::string Sha256::hex_digest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(m_state->ctx, digest.data(), &length) != 1) {
        throw std::runtime_error("SHA-256 computation failed");
    }
    return to_hex(digest.data(), length);
}

} // namespace llmops::util
