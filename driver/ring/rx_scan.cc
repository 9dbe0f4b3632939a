#include "driver/ring/rx_scan.h"

#include <cstdlib>
#include <cstring>

#include "driver/seam/log.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__SANITIZE_THREAD__)
#define NIC_SCAN_VECTOR 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NIC_SCAN_VECTOR 0
#endif
#endif
#if !defined(NIC_SCAN_VECTOR)
#if defined(__x86_64__)
#define NIC_SCAN_VECTOR 1
#else
#define NIC_SCAN_VECTOR 0
#endif
#endif

namespace nic::rxscan {

#if NIC_SCAN_VECTOR
namespace {

const volatile uint8_t* bytes(const volatile void* ring) { return static_cast<const volatile uint8_t*>(ring); }

// Bytes 8..15 of descriptor i: one 8-byte load (atomic on x86-64 when aligned, as descriptors are).
inline __m128i upper(const volatile uint8_t* d, uint32_t i) {
  return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(const_cast<const uint8_t*>(d + 16 * i + 8)));
}

// Four descriptors: a bit per good one (bit j for descriptor j), their lengths stored to lens[0..3].
inline int group4(const volatile uint8_t* d, __m128i mask, __m128i value, __m128i cap1, uint32_t* lens) {
  const __m128 a = _mm_castsi128_ps(_mm_unpacklo_epi64(upper(d, 0), upper(d, 1)));  // st0 lv0 st1 lv1
  const __m128 b = _mm_castsi128_ps(_mm_unpacklo_epi64(upper(d, 2), upper(d, 3)));  // st2 lv2 st3 lv3
  const __m128i status = _mm_castps_si128(_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
  const __m128i len = _mm_and_si128(_mm_castps_si128(_mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))),
                                    _mm_set1_epi32(0xFFFF));
  const __m128i ok_status = _mm_cmpeq_epi32(_mm_and_si128(status, mask), value);
  // 1 <= len <= cap as signed compares: len < 2^16 and cap + 1 <= 2^16 here.
  const __m128i ok_len = _mm_and_si128(_mm_cmpgt_epi32(len, _mm_setzero_si128()), _mm_cmpgt_epi32(cap1, len));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lens), len);
  return _mm_movemask_ps(_mm_castsi128_ps(_mm_and_si128(ok_status, ok_len)));
}

}  // namespace

uint32_t scan_sse2(const volatile void* ring, uint32_t n, Want want, uint32_t* lens) {
  const volatile uint8_t* d = bytes(ring);
  const __m128i mask = _mm_set1_epi32(static_cast<int>(want.mask)), value = _mm_set1_epi32(static_cast<int>(want.value));
  const __m128i cap1 = _mm_set1_epi32(static_cast<int>(want.cap < 0xFFFF ? want.cap + 1 : 0x10000));
  uint32_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const int good = group4(d + 16 * k, mask, value, cap1, lens + k);
    if (good != 0xF) {
      rmb_after_dd();
      return k + static_cast<uint32_t>(__builtin_ctz(~good));
    }
  }
  rmb_after_dd();
  return k + scan_scalar(d + 16 * k, n - k, want, lens + k);
}

[[gnu::target("avx2")]] uint32_t scan_avx2(const volatile void* ring, uint32_t n, Want want, uint32_t* lens) {
  const volatile uint8_t* d = bytes(ring);
  const __m256i mask = _mm256_set1_epi32(static_cast<int>(want.mask));
  const __m256i value = _mm256_set1_epi32(static_cast<int>(want.value));
  const __m256i cap1 = _mm256_set1_epi32(static_cast<int>(want.cap < 0xFFFF ? want.cap + 1 : 0x10000));
  uint32_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const volatile uint8_t* g = d + 16 * k;
    // 128-bit lanes: low = descriptors 0, 1, 2, 3; high = 4, 5, 6, 7 (status in even dwords, length in odd).
    const __m256 a = _mm256_castsi256_ps(_mm256_set_m128i(_mm_unpacklo_epi64(upper(g, 4), upper(g, 5)),
                                                          _mm_unpacklo_epi64(upper(g, 0), upper(g, 1))));
    const __m256 b = _mm256_castsi256_ps(_mm256_set_m128i(_mm_unpacklo_epi64(upper(g, 6), upper(g, 7)),
                                                          _mm_unpacklo_epi64(upper(g, 2), upper(g, 3))));
    const __m256i status = _mm256_castps_si256(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
    const __m256i len = _mm256_and_si256(_mm256_castps_si256(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))),
                                         _mm256_set1_epi32(0xFFFF));
    const __m256i ok_status = _mm256_cmpeq_epi32(_mm256_and_si256(status, mask), value);
    const __m256i ok_len =
        _mm256_and_si256(_mm256_cmpgt_epi32(len, _mm256_setzero_si256()), _mm256_cmpgt_epi32(cap1, len));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lens + k), len);
    const int good = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_and_si256(ok_status, ok_len)));
    if (good != 0xFF) {
      rmb_after_dd();
      _mm256_zeroupper();
      return k + static_cast<uint32_t>(__builtin_ctz(~good));
    }
  }
  // Clean upper halves before any SSE code runs (the caller's, or a legacy-encoded callee's): otherwise every
  // later SSE instruction pays the AVX-SSE transition. The rest (fewer than 8) the scalar way.
  _mm256_zeroupper();
  return k + scan_scalar(d + 16 * k, n - k, want, lens + k);
}

bool available(Kind kind) {
  switch (kind) {
    case Kind::kScalar:
    case Kind::kSse2:
      return true;
    case Kind::kAvx2:
      return __builtin_cpu_supports("avx2");
  }
  return false;
}
#else
uint32_t scan_sse2(const volatile void* ring, uint32_t n, Want want, uint32_t* lens) {
  return scan_scalar(ring, n, want, lens);
}
uint32_t scan_avx2(const volatile void* ring, uint32_t n, Want want, uint32_t* lens) {
  return scan_scalar(ring, n, want, lens);
}
bool available(Kind kind) { return kind == Kind::kScalar; }
#endif

ScanFn function(Kind kind) {
  switch (kind) {
    case Kind::kSse2:
      return scan_sse2;
    case Kind::kAvx2:
      return scan_avx2;
    case Kind::kScalar:
      break;
  }
  return scan_scalar;
}

const char* name(Kind kind) {
  switch (kind) {
    case Kind::kSse2:
      return "sse2";
    case Kind::kAvx2:
      return "avx2";
    case Kind::kScalar:
      break;
  }
  return "scalar";
}

Kind preferred() {
  static const Kind kind = [] {
    if (const char* env = std::getenv("NIC_RX_SCAN")) {
      bool known = false;
      for (Kind k : {Kind::kScalar, Kind::kSse2, Kind::kAvx2})
        if (std::strcmp(env, name(k)) == 0) {
          if (available(k)) return k;
          known = true;
        }
      log(LogLevel::kWarn, "NIC_RX_SCAN=%s: %s; using the widest scan available", env,
          known ? "not available on this CPU or build" : "unknown (scalar, sse2 or avx2)");
    }
    for (Kind k : {Kind::kAvx2, Kind::kSse2})
      if (available(k)) return k;
    return Kind::kScalar;
  }();
  return kind;
}

}  // namespace nic::rxscan
