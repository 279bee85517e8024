// Asio and Beast compiled once for the whole program, here, instead of again in every file that
// includes them: CMakeLists.txt defines BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION for every target, so their headers declare the non-template
// functions and this file defines them (Asio's TLS part included) (docs/performance.md, "Build and test time").
// GCC 12 under ASan sees boost::optional in Beast's parser as maybe uninitialized: a false
// positive in Boost's code, silenced here only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>  // TLS (io/tls.h): the OpenSSL engine and error categories
#include <boost/beast/src.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
