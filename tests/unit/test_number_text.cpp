// Numbers as text without the C locale: the same digits printf gives in the "C" locale.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "number_text.hpp"

using namespace linlearn;

TEST_CASE("number_text: %g digits, shortest round trip, plain decimal parsing") {
    for (double v : {0.05, 1e-7, 123456789.0, -2.5, 0.1 + 0.2, 1e300}) {
        char want[64];
        std::snprintf(want, sizeof want, "%.10g", v);  // the test runs in the "C" locale
        CHECK(number_text(v, 10) == want);
        double back = 0;
        const std::string s = exact_number_text(v);
        CHECK(parse_number(s.data(), s.data() + s.size(), back) == s.data() + s.size());
        CHECK(back == v);
    }
    CHECK(exact_number_text(0.1) == "0.1");
    const std::string t = "2.5 after";
    double v = 0;
    CHECK(parse_number(t.data(), t.data() + t.size(), v) == t.data() + 3);
    CHECK(v == 2.5);
    const std::string bad = "x1";
    CHECK(parse_number(bad.data(), bad.data() + bad.size(), v) == bad.data());
}
